using Llmc.Targets.Emit;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Gpu;

/// <summary>The GPU kernel template of each IR op, by op name, shared by every <see cref="GpuDialect"/>.</summary>
public static class GpuTemplates
{
    public static IReadOnlyDictionary<string, IGpuKernelTemplate> Default { get; } = new Dictionary<string, IGpuKernelTemplate>(StringComparer.Ordinal)
    {
        ["embedding"] = new RowGatherTemplate(),
        ["gather_rows"] = new RowGatherTemplate(),
        ["rms_norm"] = new RmsNormTemplate(),
        ["linear"] = new LinearByWeightFormat(),
        ["rope"] = new RopeTemplate(),
        ["attention"] = new AttentionTemplate(),
        ["silu"] = new ElementwiseTemplate((d, a, _) => $"{a} / (1.0f + {d.Call(MathFunction.Exp, "-" + a)})"),
        ["mul"] = new ElementwiseTemplate((_, a, b) => $"{a} * {b}"),
        ["add"] = new ElementwiseTemplate((_, a, b) => $"{a} + {b}"),
    };
}
