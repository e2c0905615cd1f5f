using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Gpu;

/// <summary>The GPU kernel template of each IR op, by op name, shared by every <see cref="GpuDialect"/>.</summary>
public static class GpuTemplates
{
    public static IReadOnlyDictionary<string, IGpuKernelTemplate> Default { get; } = new Dictionary<string, IGpuKernelTemplate>(StringComparer.Ordinal)
    {
        ["rms_norm"] = new RmsNormTemplate(),
    };
}
