using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Devices;

/// <summary>
/// An executor that can pick the next token on its device: it runs a forward step and the engine's sampling kernel in
/// one submission and copies back only the token id instead of the logits (docs/gpu-kernels.md, "Sampling on the device").
/// The choice is <see cref="Sampler.Choose"/>'s for the same logits, history and uniform.
/// </summary>
public interface IDeviceSampler
{
    /// <summary>Whether the engine has a sampling kernel and the kernel can follow <paramref name="options"/>.</summary>
    bool CanSample(SamplingOptions options);

    /// <summary>
    /// <see cref="IModelExecutor.Forward"/> for <paramref name="step"/>, then samples the logits of its one logit row
    /// on the device with <paramref name="options"/>, the repetition-penalty <paramref name="history"/> and the host's
    /// <paramref name="uniform"/> (a multiple of 2⁻³², see <see cref="Sampler.NextUniform"/>).
    /// </summary>
    int ForwardAndSample(StepBatch step, SamplingOptions options, ReadOnlySpan<int> history, double uniform);
}
