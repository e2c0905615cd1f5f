using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Compiler.Passes.Fusion;

/// <summary>
/// <c>mul(act(linear(x, Wgate)), linear(x, Wup))</c> → <c>linear_swiglu(x, Wgate ⧓ Wup)</c> for <c>silu</c> (SwiGLU) or
/// <c>linear_geglu</c> for <c>gelu_tanh</c> (Gemma's GeGLU): gate and up in one matmul over their rows interleaved,
/// the activation·mul in its epilogue (four launches become one). Only where the target has the fused op; the
/// weights must be f32 graph weights of one shape.
/// </summary>
public sealed class FuseGatedMlp : IPass
{
    public const string PassName = "fuse-gated-mlp";

    // Each gate activation and the epilogue that applies it.
    private static readonly Dictionary<string, LinearEpilogue> Epilogues = new(StringComparer.Ordinal)
    {
        ["silu"] = LinearEpilogue.SwiGlu,
        ["gelu_tanh"] = LinearEpilogue.GeGlu,
    };

    public string Name => PassName;

    public string Description => "gate and up projections into one matmul with SiLU·mul or GELU·mul in its epilogue";

    public bool Run(Graph graph, PassContext context)
    {
        var fusion = new FusionGraph(graph, context);
        var changed = false;
        foreach (var mul in graph.Nodes.Where(n => n.Op.Name == "mul").ToList())
        {
            if (Match(fusion, mul) is not { } match) continue;
            var (gate, up, activation) = match;
            var fused = FusedLinearOp.NameOf(LinearPrologue.None, Epilogues[activation.Op.Name]);
            if (!context.Target.Supports(fused)) continue;
            var weight = fusion.Stack([gate.Inputs[1], up.Inputs[1]], interleaveRows: true,
                FusionGraph.FusedName(gate.Inputs[1].Name, "gate_proj", "gate_up_proj"));
            fusion.Editor.Replace(mul, fused, [gate.Inputs[0], weight]);
            fusion.Editor.Remove([activation, gate, up]);
            changed = true;
        }
        fusion.Editor.RemoveUnusedWeights();
        return changed;
    }

    private static (Node Gate, Node Up, Node Activation)? Match(FusionGraph fusion, Node mul)
    {
        static bool IsLinear(OpDef op) => op.Name == "linear";
        for (var side = 0; side < 2; side++)
        {
            if (fusion.SoleProducer(mul.Inputs[side], mul, op => Epilogues.ContainsKey(op.Name)) is not { } activation
                || fusion.SoleProducer(activation.Inputs[0], activation, IsLinear) is not { } gate
                || fusion.SoleProducer(mul.Inputs[1 - side], mul, IsLinear) is not { } up)
                continue;
            var (wg, wu) = (gate.Inputs[1], up.Inputs[1]);
            if (gate.Inputs[0] == up.Inputs[0] && wg.Type == wu.Type && fusion.CanStack(wg, wu)) return (gate, up, activation);
        }
        return null;
    }
}
