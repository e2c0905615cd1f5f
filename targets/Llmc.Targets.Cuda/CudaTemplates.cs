using Llmc.Targets.Cuda.Templates;
using Llmc.Targets.Gpu;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Cuda;

/// <summary>
/// The CUDA target's templates: the shared GPU templates, except that attention is split along each row's positions
/// for steps of few rows (<see cref="SplitAttention"/>) with the shared template as its many-rows code
/// (<see cref="WholeRowAttention"/>), both folding a row's chunks alike so batching does not change a row; and as the
/// many-rows code of the linear family tensor cores on f16/bf16 weights (<see cref="TensorCoreLinear"/>), else the
/// shared many-rows kernel.
/// </summary>
public static class CudaTemplates
{
    /// <summary>The attention ops, by name, with whether they rotate q and k and normalize them per head.</summary>
    private static readonly (string Op, bool Rotary, bool QkNorm)[] Attention =
        [("attention", false, false), ("attention_rope", true, false), ("attention_qk_norm_rope", true, true)];

    /// <summary>The attention ops, whose code for few rows is the split kernel and whose many-rows code the whole-row one.</summary>
    public static IEnumerable<string> AttentionOps => Attention.Select(a => a.Op);

    public static IReadOnlyDictionary<string, IGpuKernelTemplate> Default { get; } = GpuTemplates.Default
        .Select(t => Attention.FirstOrDefault(a => a.Op == t.Key) is { Op: not null } a
            ? KeyValuePair.Create(t.Key, (IGpuKernelTemplate)new SplitAttention(a.Rotary, a.QkNorm))
            : t)
        .ToDictionary(StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, IReadOnlyList<IManyRowsTemplate>> ManyRows { get; } = GpuTemplates.LinearFamily()
        .Select(op => KeyValuePair.Create(op.Name, (IReadOnlyList<IManyRowsTemplate>)[new TensorCoreLinear(op), .. GpuTemplates.ManyRows[op.Name]]))
        .Concat(Attention.Select(a => KeyValuePair.Create(a.Op, (IReadOnlyList<IManyRowsTemplate>)[new WholeRowAttention(a.Rotary, a.QkNorm)])))
        .ToDictionary(StringComparer.Ordinal);
}
