using Llmc.Targets.Cuda.Templates;
using Llmc.Targets.Gpu;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Cuda;

/// <summary>
/// The CUDA target's templates: the shared GPU templates, and as the many-rows code of the linear family tensor cores
/// on f16/bf16 weights (<see cref="TensorCoreLinear"/>), else the shared many-rows kernel. Attention is the shared
/// template for every step: a split-K decode variant for lone rows rounded differently from the same row computed with
/// others, so batching changed greedy ids (docs/cuda.md).
/// </summary>
public static class CudaTemplates
{
    public static IReadOnlyDictionary<string, IGpuKernelTemplate> Default => GpuTemplates.Default;

    public static IReadOnlyDictionary<string, IReadOnlyList<IManyRowsTemplate>> ManyRows { get; } = GpuTemplates.LinearFamily()
        .ToDictionary(op => op.Name, op => (IReadOnlyList<IManyRowsTemplate>)[new TensorCoreLinear(op), .. GpuTemplates.ManyRows[op.Name]], StringComparer.Ordinal);
}
