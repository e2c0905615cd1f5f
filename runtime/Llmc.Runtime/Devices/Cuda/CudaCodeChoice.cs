using System.Globalization;

namespace Llmc.Runtime.Devices.Cuda;

/// <summary>
/// Which of an engine's CUDA code sections a GPU loads. A cubin runs on GPUs of its major architecture with an equal or
/// higher minor version, so the newest such cubin is taken; otherwise the driver compiles (JITs) PTX written for an
/// architecture no newer than the GPU. A GPU older than all of them cannot run the engine.
/// </summary>
public static class CudaCodeChoice
{
    /// <summary>One code section of the engine: its name, format (<c>ptx</c> or <c>cubin</c>) and architecture.</summary>
    public sealed record Code(string Section, string Format, int Architecture);

    /// <summary>The CUDA code sections named by <paramref name="kernels"/>' entries.</summary>
    public static IReadOnlyList<Code> Available(IEnumerable<Format.KernelEntry> kernels) =>
        [.. kernels.Select(k => (k.Section, k.Format)).Distinct()
            .Select(s => new Code(s.Section, s.Format, CudaKernelAbi.ArchitectureOf(s.Section)
                ?? throw new LlmcException($"kernel section '{s.Section}' is not CUDA code")))];

    /// <summary>The code to load on a GPU of compute capability <paramref name="architecture"/> (major × 10 + minor).</summary>
    /// <exception cref="LlmcException">Every cubin and PTX of the engine is for a newer architecture.</exception>
    public static Code Pick(IReadOnlyList<Code> available, int architecture, string gpuName)
    {
        var cubin = available.Where(c => c.Format == CudaKernelAbi.CubinFormat && c.Architecture / 10 == architecture / 10 && c.Architecture <= architecture)
            .MaxBy(c => c.Architecture);
        var ptx = available.Where(c => c.Format == CudaKernelAbi.PtxFormat && c.Architecture <= architecture).MaxBy(c => c.Architecture);
        return cubin ?? ptx ?? throw new LlmcException(
            $"the GPU {gpuName} (compute capability {Capability(architecture)}) is older than every architecture this engine was built for " +
            $"({string.Join(", ", available.Select(c => $"{c.Format} {Capability(c.Architecture)}"))})");
    }

    private static string Capability(int architecture) =>
        string.Create(CultureInfo.InvariantCulture, $"{architecture / 10}.{architecture % 10}");
}
