using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Compiler.Passes.Fusion;

/// <summary>
/// <c>attention(rope(linear(x, Wq)), rope(linear(x, Wk)), linear(x, Wv), ...)</c> →
/// <c>attention_rope(linear(x, [Wq; Wk; Wv]), positions, inv_freq, ...)</c>: one projection instead of three and the
/// rotary embedding inside the attention kernel (five launches become two). Projections with biases
/// (<c>linear_bias</c>, Qwen2) fuse alike, their biases stacked as their weights are; per-head norms of q and k before
/// the rotation (<c>rms_norm</c> with a head-sized weight, Qwen3) go inside the kernel too
/// (<c>attention_qk_norm_rope</c>). Only where the target has those ops; the projections' weights must be f32 graph
/// weights (fusion runs before quantization).
/// </summary>
public sealed class FuseQkvRope : IPass
{
    public const string PassName = "fuse-qkv-rope";

    public string Name => PassName;

    public string Description => "Q/K/V projections into one matmul, RoPE (and q/k norms) into the attention kernel";

    public bool Run(Graph graph, PassContext context)
    {
        var fusion = new FusionGraph(graph, context);
        var changed = false;
        foreach (var attention in graph.Nodes.Where(n => n.Op.Name == "attention").ToList())
        {
            if (Match(fusion, attention) is not { } match) continue;
            var (q, k, v, qRope, kRope, qNorm, kNorm) = match;
            var (x, positions, invFreq) = (q.Inputs[0], attention.Inputs[3], qRope.Inputs[2]);
            // Operand 1 is each projection's weight, operand 2 its bias when it has one.
            var stacked = Enumerable.Range(1, q.Inputs.Count - 1).Select(operand => fusion.Stack(
                [q.Inputs[operand], k.Inputs[operand], v.Inputs[operand]], interleaveRows: false,
                FusionGraph.FusedName(q.Inputs[operand].Name, "q_proj", "qkv_proj")));
            var qkv = fusion.Editor.InsertBefore(attention, q.Op.Name, [x, .. stacked], name: q.Output.Name + "kv");
            var attrs = new Attributes(attention.Attrs);
            Value[] operands = [qkv, positions, invFreq, .. attention.Inputs.Skip(4)];
            if (qNorm is not null && kNorm is not null)
            {
                attrs.Set("eps", qNorm.Attrs.GetDouble("eps"));
                operands = [.. operands, qNorm.Inputs[1], kNorm.Inputs[1]];
            }
            fusion.Editor.Replace(attention, qNorm is null ? "attention_rope" : "attention_qk_norm_rope", operands, attrs);
            fusion.Editor.Remove([qRope, kRope, .. new[] { qNorm, kNorm }.OfType<Node>(), q, k, v]);
            changed = true;
        }
        fusion.Editor.RemoveUnusedWeights();
        return changed;
    }

    private static (Node Q, Node K, Node V, Node QRope, Node KRope, Node? QNorm, Node? KNorm)? Match(FusionGraph fusion, Node attention)
    {
        static bool IsRope(OpDef op) => op.Name == "rope";
        static bool IsLinear(OpDef op) => op.Name is "linear" or "linear_bias";
        static bool IsNorm(OpDef op) => op.Name == "rms_norm";
        if (fusion.SoleProducer(attention.Inputs[0], attention, IsRope) is not { } qRope
            || fusion.SoleProducer(attention.Inputs[1], attention, IsRope) is not { } kRope
            || fusion.SoleProducer(attention.Inputs[2], attention, IsLinear) is not { } v)
            return null;
        var headDim = attention.Attrs.GetLong("head_dim");
        // Between each rope and its projection, optionally a per-head norm (a weight of one head).
        var qNorm = fusion.SoleProducer(qRope.Inputs[0], qRope, IsNorm);
        var kNorm = fusion.SoleProducer(kRope.Inputs[0], kRope, IsNorm);
        if ((qNorm is null) != (kNorm is null)) return null;
        if (qNorm is not null && kNorm is not null
            && (qNorm.Inputs[1].Type[0].Size != headDim || kNorm.Inputs[1].Type[0].Size != headDim
                || qNorm.Attrs.GetDouble("eps") != kNorm.Attrs.GetDouble("eps")
                || !FusionGraph.AreFloatWeights(qNorm.Inputs[1], kNorm.Inputs[1])
                || !fusion.Target.Supports("attention_qk_norm_rope")))
            return null;
        if (qNorm is null && !fusion.Target.Supports("attention_rope")) return null;
        if (fusion.SoleProducer((qNorm ?? qRope).Inputs[0], qNorm ?? qRope, IsLinear) is not { } q
            || fusion.SoleProducer((kNorm ?? kRope).Inputs[0], kNorm ?? kRope, IsLinear) is not { } k)
            return null;
        var sameInput = q.Inputs[0] == k.Inputs[0] && k.Inputs[0] == v.Inputs[0] && q.Op == k.Op && k.Op == v.Op;
        var sameRope = qRope.Inputs[1] == attention.Inputs[3] && kRope.Inputs[1] == attention.Inputs[3] && qRope.Inputs[2] == kRope.Inputs[2]
            && qRope.Attrs.GetLong("head_dim") == headDim && kRope.Attrs.GetLong("head_dim") == headDim;
        var stackable = Enumerable.Range(1, q.Inputs.Count - 1).All(operand => fusion.CanStack(q.Inputs[operand], k.Inputs[operand], v.Inputs[operand]));
        return sameInput && sameRope && fusion.Target.Supports(q.Op.Name) && stackable
            ? (q, k, v, qRope, kRope, qNorm, kNorm) : null;
    }
}
