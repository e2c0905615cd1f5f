using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Devices;

/// <summary>
/// An executor that can pick the next tokens on its device: it runs a forward step and the engine's sampling kernel in
/// one submission and copies back only the token ids instead of the logits (docs/gpu-kernels.md, "Sampling on the device").
/// Each choice is <see cref="Sampler.Choose"/>'s for the same logits, history and uniform, so a sequence gets the same
/// token whether its row is sampled here or on the host, alone or beside others.
/// </summary>
public interface IDeviceSampler
{
    /// <summary>Whether the engine has a sampling kernel and the kernel can follow <paramref name="options"/>.</summary>
    bool CanSample(SamplingOptions options);

    /// <summary>
    /// The most logit rows one <see cref="ForwardAndSample"/> samples: the step's whole <c>out</c> for engines whose
    /// kernel samples a row per workgroup, 1 for engines built when it sampled only row 0.
    /// </summary>
    int MaxSampledRows { get; }

    /// <summary>
    /// <see cref="IModelExecutor.Forward"/> for <paramref name="step"/>, then samples logit row i with
    /// <paramref name="rows"/>[i] into <paramref name="tokens"/>[i], every row in one launch.
    /// </summary>
    void ForwardAndSample(StepBatch step, ReadOnlySpan<DeviceSampling> rows, Span<int> tokens);
}
