using Llmc.Targets.Cpu.Templates;

namespace Llmc.Targets.Cpu;

/// <summary>The CPU kernel template of each IR op, by op name.</summary>
public static class CpuTemplates
{
    public static IReadOnlyDictionary<string, ICpuKernelTemplate> Default { get; } = new Dictionary<string, ICpuKernelTemplate>(StringComparer.Ordinal)
    {
        ["embedding"] = new RowGatherTemplate(),
        ["gather_rows"] = new RowGatherTemplate(),
        ["rms_norm"] = new RmsNormTemplate(),
        ["linear"] = new LinearByWeightFormat(),
        ["rope"] = new RopeTemplate(),
        ["attention"] = new AttentionTemplate(),
        ["silu"] = new ElementwiseTemplate((d, a, _) => $"{a} / ({d.Vector}.One + {d.Exp("-" + a)})", (a, _) => $"{a} / (1f + MathF.Exp(-{a}))"),
        ["mul"] = new ElementwiseTemplate((_, a, b) => $"{a} * {b}", (a, b) => $"{a} * {b}"),
        ["add"] = new ElementwiseTemplate((_, a, b) => $"{a} + {b}", (a, b) => $"{a} + {b}"),
    };
}
