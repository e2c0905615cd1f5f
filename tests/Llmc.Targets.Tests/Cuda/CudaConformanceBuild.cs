using System.Text;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Targets.Cuda;
using Llmc.Targets.Conformance;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// Every conformance kernel (the shared set, its int8-KV-cache and half-weight cases, and the CUDA-only cases) compiled once per process by a fat
/// <c>cuda-sm80,cuda-sm89,cuda-sm90</c> target: PTX for compute_80 and a cubin for each of sm_80, sm_89 and sm_90.
/// </summary>
public static class CudaConformanceBuild
{
    public static IReadOnlyList<int> Architectures { get; } = [80, 89, 90];

    public static IReadOnlyList<KernelInstance> Kernels { get; } =
        [.. ConformanceCases.All.Concat(ConformanceCases.Int8KvCache).Concat(CudaOnlyCases.All).Select(c => c.Kernel).Distinct()];

    private static readonly Lazy<CompiledKernels> Compiled = new(() => new CudaTarget(Architectures).Compile(Kernels));

    public static CompiledKernels Get() => Compiled.Value;

    private static readonly Lazy<string> DecodedPtx = new(() => Encoding.UTF8.GetString(Get().Sections[CudaKernelAbi.PtxSection(Architectures[0])]));

    /// <summary>The PTX section as text, decoded once, so that <see cref="PtxText"/> splits it into entries once.</summary>
    public static string Ptx => DecodedPtx.Value;
}
