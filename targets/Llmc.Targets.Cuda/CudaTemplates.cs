using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda;

/// <summary>The CUDA target's templates: the shared GPU templates, with CUDA-only variants where CUDA has a faster path.</summary>
public static class CudaTemplates
{
    public static IReadOnlyDictionary<string, IGpuKernelTemplate> Default { get; } = GpuTemplates.Default;
}
