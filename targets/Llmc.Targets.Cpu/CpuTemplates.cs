using Llmc.Ir.Ops;
using Llmc.Targets.Cpu.Templates;

namespace Llmc.Targets.Cpu;

/// <summary>The CPU kernel template of each IR op, by op name; fused ops reuse their parts' templates through hooks.</summary>
public static class CpuTemplates
{
    public static IReadOnlyDictionary<string, ICpuKernelTemplate> Default { get; } = new Dictionary<string, ICpuKernelTemplate>(StringComparer.Ordinal)
    {
        ["embedding"] = new RowGatherByTableFormat(),
        ["gather_rows"] = new RowGatherTemplate(),
        ["rms_norm"] = new RmsNormTemplate(),
        ["linear"] = new LinearByWeightFormat(),
        ["rope"] = new RopeTemplate(),
        ["attention"] = new AttentionTemplate(),
        ["silu"] = new ElementwiseTemplate((d, a, _) => $"{a} / ({d.Vector}.One + {d.Exp("-" + a)})", (a, _) => $"{a} / (1f + MathF.Exp(-{a}))"),
        // x · σ(2u) with u = √(2/π)·(x + 0.044715·x³): the tanh form of GELU written with exp.
        ["gelu_tanh"] = new ElementwiseTemplate(
            (d, a, _) => $"{a} / ({d.Vector}.One + {d.Exp($"{a} * {d.Splat("-1.5957691216057308f")} * ({d.Vector}.One + {a} * {a} * {d.Splat("0.044715f")})")})",
            (a, _) => $"{a} / (1f + MathF.Exp({a} * -1.5957691216057308f * (1f + 0.044715f * {a} * {a})))"),
        ["soft_cap"] = new SoftCapTemplate(),
        ["mul"] = new ElementwiseTemplate((_, a, b) => $"{a} * {b}", (a, b) => $"{a} * {b}"),
        ["add"] = new ElementwiseTemplate((_, a, b) => $"{a} + {b}", (a, b) => $"{a} + {b}"),
        ["attention_rope"] = new AttentionTemplate(rotary: true),
        ["attention_qk_norm_rope"] = new AttentionTemplate(rotary: true, qkNorm: true),
    }
        .Concat(FusedLinearOp.All.Select(op => KeyValuePair.Create(op.Name, (ICpuKernelTemplate)new LinearByWeightFormat(new LinearFusion(op.Prologue, op.Epilogue)))))
        .Concat(ElementwiseChainOp.All.Select(op => KeyValuePair.Create(op.Name, (ICpuKernelTemplate)new ElementwiseChainTemplate())))
        .ToDictionary(StringComparer.Ordinal);
}
