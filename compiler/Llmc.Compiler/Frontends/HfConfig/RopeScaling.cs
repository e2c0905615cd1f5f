namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>A config's <c>rope_scaling</c>: how the RoPE frequencies are stretched beyond the trained context.</summary>
public abstract record RopeScaling(double Factor);

/// <summary><c>{"rope_type": "linear", "factor": f}</c>: every frequency divided by <c>f</c> (position interpolation).</summary>
public sealed record LinearRopeScaling(double Factor) : RopeScaling(Factor);

/// <summary>
/// <c>{"rope_type": "llama3", ...}</c> (Llama 3.1+): low frequencies divided by <c>factor</c>, high ones kept,
/// a smooth blend between, with the band edges at <c>original_max_position_embeddings / {low,high}_freq_factor</c>.
/// </summary>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
    : RopeScaling(Factor);
