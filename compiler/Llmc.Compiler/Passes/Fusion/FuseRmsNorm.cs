using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Compiler.Passes.Fusion;

/// <summary>
/// <c>rms_norm(x, g)</c> read only as the activation of linear-family ops → each of them becomes its
/// <c>rms_norm_…</c> variant reading x and g (the norm is recomputed per consumer, O(K) per row against their O(N·K)).
/// Only where the target has every variant needed. A norm read only through <c>gather_rows</c> (the final norm before
/// the LM head) trades places with it first, since both work row by row: the norm then runs on the gathered rows only,
/// inside the head's matmul.
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
            if (fusion.IsOutput(norm.Output)) continue;
            var users = fusion.UsersOf(norm.Output);
            if (users is [{ Op.Name: "gather_rows" } gather] && gather.Inputs[0] == norm.Output && !fusion.IsOutput(gather.Output))
            {
                var readers = fusion.UsersOf(gather.Output);
                if (readers.Count == 0 || !readers.All(u => CanAbsorb(u, gather.Output, context.Target))) continue;
                var rows = fusion.Editor.Replace(gather, "gather_rows", [norm.Inputs[0], gather.Inputs[1]]);
                Absorb(fusion, norm, readers, rows);
                changed = true;
                continue;
            }
            if (users.Count == 0 || !users.All(u => CanAbsorb(u, norm.Output, context.Target))) continue;
            Absorb(fusion, norm, users, norm.Inputs[0]);
            changed = true;
        }
        return changed;
    }

    /// <summary>Makes each of <paramref name="users"/> normalize <paramref name="x"/> itself, then drops the norm.</summary>
    private static void Absorb(FusionGraph fusion, Node norm, IReadOnlyList<Node> users, Value x)
    {
        foreach (var user in users.ToList())
        {
            var attrs = new Attributes(user.Attrs).Set("eps", norm.Attrs.GetDouble("eps"));
            // Operands (x, w, norm weight, [residual]): see FusedLinearOp.
            fusion.Editor.Replace(user, FusedName(user.Op), [x, user.Inputs[1], norm.Inputs[1], .. user.Inputs.Skip(2)], attrs);
        }
        fusion.Editor.Remove([norm]);
    }

    private static string FusedName(OpDef op) => FusedLinearOp.NameOf(LinearPrologue.RmsNorm, FusedLinearOp.PartsOf(op).Epilogue);

    private static bool CanAbsorb(Node user, Value normed, Targets.ITarget target) =>
        FusedLinearOp.IsLinearFamily(user.Op) && FusedLinearOp.PartsOf(user.Op).Prologue == LinearPrologue.None
        && user.Inputs[0] == normed && user.Inputs.Skip(1).All(v => v != normed) && target.Supports(FusedName(user.Op));
}
