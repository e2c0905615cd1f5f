using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Compiler.Passes.Fusion;

/// <summary>
/// <c>rms_norm(x, g)</c> read only as the activation of linear-family ops → each of them becomes its
/// <c>rms_norm_…</c> variant reading x and g (the norm is recomputed per consumer, O(K) per row against their O(N·K)).
/// Only where the target has every variant needed.
/// </summary>
public sealed class FuseRmsNorm : IPass
{
    public const string PassName = "fuse-rms-norm";

    public string Name => PassName;

    public string Description => "RMSNorm into the prologue of the matmuls that read it";

    public bool Run(Graph graph, PassContext context)
    {
        var fusion = new FusionGraph(graph, context);
        var changed = false;
        foreach (var norm in graph.Nodes.Where(n => n.Op.Name == "rms_norm").ToList())
        {
            var users = fusion.UsersOf(norm.Output);
            if (users.Count == 0 || fusion.IsOutput(norm.Output) || !users.All(u => CanAbsorb(u, norm.Output, context.Target))) continue;
            foreach (var user in users.ToList())
            {
                var fused = FusedName(user.Op);
                var attrs = new Attributes(user.Attrs).Set("eps", norm.Attrs.GetDouble("eps"));
                // Operands (x, w, norm weight, [residual]): see FusedLinearOp.
                fusion.Editor.Replace(user, fused, [norm.Inputs[0], user.Inputs[1], norm.Inputs[1], .. user.Inputs.Skip(2)], attrs);
            }
            fusion.Editor.Remove([norm]);
            changed = true;
        }
        return changed;
    }

    private static string FusedName(OpDef op) => FusedLinearOp.NameOf(LinearPrologue.RmsNorm, FusedLinearOp.PartsOf(op).Epilogue);

    private static bool CanAbsorb(Node user, Value normed, Targets.ITarget target) =>
        FusedLinearOp.IsLinearFamily(user.Op) && FusedLinearOp.PartsOf(user.Op).Prologue == LinearPrologue.None
        && user.Inputs[0] == normed && user.Inputs.Skip(1).All(v => v != normed) && target.Supports(FusedName(user.Op));
}
