using Llmc.Targets.Cuda.Templates;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda;

/// <summary>
/// The CUDA target's templates: the shared GPU templates, with CUDA-only variants switched in at run time where CUDA
/// has a faster path: tensor cores for prefill linear layers on f16/bf16 weights, split-K decode attention.
/// </summary>
public static class CudaTemplates
{
    public static IReadOnlyDictionary<string, IGpuKernelTemplate> Default { get; } = WithVariants(GpuTemplates.Default);

    private static Dictionary<string, IGpuKernelTemplate> WithVariants(IReadOnlyDictionary<string, IGpuKernelTemplate> shared)
    {
        var templates = new Dictionary<string, IGpuKernelTemplate>(shared, StringComparer.Ordinal);
        if (shared.TryGetValue("linear", out var linear)) templates["linear"] = new SeqSwitchTemplate(linear, new TensorCoreLinear());
        if (shared.TryGetValue("attention", out var attention)) templates["attention"] = new SeqSwitchTemplate(attention, new SplitKDecodeAttention());
        return templates;
    }
}
