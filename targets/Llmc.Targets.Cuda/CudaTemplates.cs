using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Targets.Cuda.Templates;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda;

/// <summary>
/// The CUDA target's templates: the shared GPU templates, with CUDA-only variants switched in at run time where CUDA
/// has a faster path: tensor cores for prefill in the linear family on f16/bf16 weights. Attention is the shared
/// template for every step: a split-K decode variant for lone rows rounded differently from the same row computed with
/// others, so batching changed greedy ids (docs/cuda.md).
/// </summary>
public static class CudaTemplates
{
    public static IReadOnlyDictionary<string, IGpuKernelTemplate> Default { get; } = WithVariants(GpuTemplates.Default);

    public static IReadOnlyDictionary<string, IGpuKernelTemplate> WithVariants(IReadOnlyDictionary<string, IGpuKernelTemplate> shared) =>
        shared.ToDictionary(t => t.Key, t => OpRegistry.TryGet(t.Key, out var op) && Variant(op) is { } variant
            ? new SeqSwitchTemplate(t.Value, variant)
            : t.Value, StringComparer.Ordinal);

    private static ICudaVariant? Variant(OpDef op) => op switch
    {
        _ when FusedLinearOp.IsLinearFamily(op) => new TensorCoreLinear(op),
        _ => null,
    };
}
