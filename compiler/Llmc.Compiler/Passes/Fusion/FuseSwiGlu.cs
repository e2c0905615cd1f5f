using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Compiler.Passes.Fusion;

/// <summary>
/// <c>mul(silu(linear(x, Wgate)), linear(x, Wup))</c> → <c>linear_swiglu(x, Wgate ⧓ Wup)</c>: gate and up in one
/// matmul over their rows interleaved, SiLU·mul in its epilogue (four launches become one). Only where the target
/// has <c>linear_swiglu</c>; the weights must be f32 graph weights of one shape.
/// </summary>
public sealed class FuseSwiGlu : IPass
{
    public const string PassName = "fuse-swiglu";

    private static readonly string Fused = FusedLinearOp.NameOf(LinearPrologue.None, LinearEpilogue.SwiGlu);

    public string Name => PassName;

    public string Description => "gate and up projections into one matmul with SiLU·mul in its epilogue";

    public bool Run(Graph graph, PassContext context)
    {
        if (!context.Target.Supports(Fused)) return false;
        var fusion = new FusionGraph(graph, context);
        var changed = false;
        foreach (var mul in graph.Nodes.Where(n => n.Op.Name == "mul").ToList())
        {
            if (Match(fusion, mul) is not { } match) continue;
            var (gate, up, silu) = match;
            var weight = fusion.Stack([gate.Inputs[1], up.Inputs[1]], interleaveRows: true,
                FusionGraph.FusedName(gate.Inputs[1].Name, "gate_proj", "gate_up_proj"));
            fusion.Editor.Replace(mul, Fused, [gate.Inputs[0], weight]);
            fusion.Editor.Remove([silu, gate, up]);
            changed = true;
        }
        fusion.Editor.RemoveUnusedWeights();
        return changed;
    }

    private static (Node Gate, Node Up, Node Silu)? Match(FusionGraph fusion, Node mul)
    {
        static bool IsLinear(OpDef op) => op.Name == "linear";
        for (var side = 0; side < 2; side++)
        {
            if (fusion.SoleProducer(mul.Inputs[side], mul, op => op.Name == "silu") is not { } silu
                || fusion.SoleProducer(silu.Inputs[0], silu, IsLinear) is not { } gate
                || fusion.SoleProducer(mul.Inputs[1 - side], mul, IsLinear) is not { } up)
                continue;
            var (wg, wu) = (gate.Inputs[1], up.Inputs[1]);
            if (gate.Inputs[0] == up.Inputs[0] && wg.Type == wu.Type && FusionGraph.AreFloatWeights(wg, wu)) return (gate, up, silu);
        }
        return null;
    }
}
