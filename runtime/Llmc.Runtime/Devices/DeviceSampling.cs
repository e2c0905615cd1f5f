using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Devices;

/// <summary>
/// How one logit row is sampled on the device: the sequence's options, its tokens so far (the repetition penalty's
/// window is their end) and the host's <paramref name="Uniform"/> (a multiple of 2⁻³², see <see cref="Sampler.NextUniform"/>).
/// </summary>
public readonly record struct DeviceSampling(SamplingOptions Options, List<int> Tokens, double Uniform)
{
    /// <summary>Refuses a request to sample other than every logit row of <paramref name="step"/>, or more rows than the kernel takes.</summary>
    public static void Check(StepBatch step, int rows, int tokens, int maxRows)
    {
        if (rows != step.LogitRows.Length || rows < 1)
            throw new LlmcException($"device sampling takes every logit row of the step ({step.LogitRows.Length}), got {rows}");
        if (rows > maxRows) throw new LlmcException($"this engine's sampling kernel samples at most {maxRows} rows at once, asked for {rows}");
        if (tokens < rows) throw new LlmcException($"{rows} rows sampled into room for {tokens} tokens");
    }
}
