using Llmc.Ir.Ops;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Gpu;

/// <summary>
/// The GPU kernel template of each IR op, by op name, shared by every <see cref="GpuDialect"/>; fused ops reuse their
/// parts' templates (the linear family through <see cref="LinearFusion"/>, chains through the elementwise formulas).
/// </summary>
public static class GpuTemplates
{
    public static IReadOnlyDictionary<string, IGpuKernelTemplate> Default { get; } = new Dictionary<string, IGpuKernelTemplate>(StringComparer.Ordinal)
    {
        ["embedding"] = new RowGatherByTableFormat(),
        ["gather_rows"] = new RowGatherTemplate(),
        ["rms_norm"] = new RmsNormTemplate(),
        ["linear"] = new LinearByWeightFormat(LinearFusion.None, MatVecLayout.AnyStepRows, ActivationStaging.WholeRows),
        ["rope"] = new RopeTemplate(),
        ["attention"] = new AttentionTemplate(),
        ["attention_rope"] = new AttentionTemplate(rotary: true),
        ["attention_qk_norm_rope"] = new AttentionTemplate(rotary: true, qkNorm: true),
        ["silu"] = ElementwiseTemplate.Of("silu"),
        ["gelu_tanh"] = ElementwiseTemplate.Of("gelu_tanh"),
        ["soft_cap"] = new SoftCapTemplate(),
        ["mul"] = ElementwiseTemplate.Of("mul"),
        ["add"] = ElementwiseTemplate.Of("add"),
        [Runtime.Devices.SamplingKernelAbi.Template] = new SamplingTemplate(),
    }
        .Concat(FusedLinearOp.All.Select(op => KeyValuePair.Create(op.Name, (IGpuKernelTemplate)new LinearByWeightFormat(new LinearFusion(op.Prologue, op.Epilogue), MatVecLayout.AnyStepRows, ActivationStaging.WholeRows))))
        .Concat(ElementwiseChainOp.All.Select(op => KeyValuePair.Create(op.Name, (IGpuKernelTemplate)new ElementwiseTemplate(ElementwiseChainOp.ExpressionOf))))
        .ToDictionary(StringComparer.Ordinal);

    /// <summary>The many-rows codes of each op that has any, by op name, the first that applies to an instance winning.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<IManyRowsTemplate>> ManyRows { get; } = LinearFamily()
        .ToDictionary(op => op.Name, op => (IReadOnlyList<IManyRowsTemplate>)[new ManyRowsLinear(LinearFusion.Of(op))], StringComparer.Ordinal);

    /// <summary><c>linear</c> and its fused members.</summary>
    public static IEnumerable<Ir.OpDef> LinearFamily() => [Ir.OpRegistry.Get("linear"), .. FusedLinearOp.All];
}
