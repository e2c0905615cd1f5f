namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>A config's <c>rope_scaling</c>: how the RoPE frequencies are stretched beyond the trained context.</summary>
public abstract record RopeScaling;

/// <summary><c>{"rope_type": "linear", "factor": f}</c>: every frequency divided by <c>f</c> (position interpolation).</summary>
public sealed record LinearRopeScaling(double Factor) : RopeScaling;

/// <summary>
/// <c>{"rope_type": "llama3", ...}</c> (Llama 3.1+): low frequencies divided by <c>factor</c>, high ones kept,
/// a smooth blend between, with the band edges at <c>original_max_position_embeddings / {low,high}_freq_factor</c>.
/// </summary>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
    : RopeScaling;

/// <summary>
/// Per-frequency divisors given as data: GGUF's <c>rope_freqs.weight</c>, which llama.cpp's converter writes instead of
/// the llama3 parameters (inverse frequency i is divided by factor i).
/// </summary>
public sealed record FrequencyFactorsRopeScaling(float[] Factors) : RopeScaling;
