namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>A config's <c>rope_scaling</c>: how the RoPE frequencies are stretched beyond the trained context.</summary>
public abstract record RopeScaling
{
    /// <summary>
    /// What the scaling multiplies the rotary cosines and sines by (1 but for LongRoPE). Both q and k are rotated, so
    /// attention scores grow by its square, which is how the builder applies it.
    /// </summary>
    public virtual double AttentionFactor => 1.0;
}

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

/// <summary>
/// <c>{"rope_type": "longrope", "short_factor": [...], "long_factor": [...]}</c> (Phi-3): inverse frequency i is
/// divided by short_factor[i] or long_factor[i], and cosines and sines are multiplied by the attention factor.
/// Hugging Face picks the long factors for a sequence longer than <c>original_max_position_embeddings</c>; an engine
/// picks once for its context, as llama.cpp does: past the original context, the long factors.
/// </summary>
public sealed record LongRopeScaling(float[] ShortFactors, float[] LongFactors, int OriginalMaxPositionEmbeddings, double Attention) : RopeScaling
{
    public override double AttentionFactor => Attention;

    /// <summary>The factors an engine of <paramref name="context"/> positions uses.</summary>
    public float[] FactorsFor(int context) => context > OriginalMaxPositionEmbeddings ? LongFactors : ShortFactors;
}
