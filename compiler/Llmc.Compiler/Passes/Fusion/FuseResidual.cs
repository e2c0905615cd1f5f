using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Compiler.Passes.Fusion;

/// <summary>
/// <c>add(r, linear…(x, w, …))</c> where the add is the product's only reader → the linear's <c>…_residual</c>
/// variant reading r: the residual add in the matmul's epilogue. Only where the target has that variant.
/// </summary>
public sealed class FuseResidual : IPass
{
    public const string PassName = "fuse-residual";

    public string Name => PassName;

    public string Description => "residual adds into the epilogue of the matmul before them";

    public bool Run(Graph graph, PassContext context)
    {
        var fusion = new FusionGraph(graph, context);
        var changed = false;
        foreach (var add in graph.Nodes.Where(n => n.Op.Name == "add").ToList())
        {
            for (var side = 0; side < 2; side++)
            {
                var residual = add.Inputs[1 - side];
                if (fusion.SoleProducer(add.Inputs[side], add, FusedLinearOp.IsLinearFamily) is not { } linear
                    || residual == add.Inputs[side]
                    || FusedLinearOp.PartsOf(linear.Op) is not (var prologue, LinearEpilogue.None))
                    continue;
                var fused = FusedLinearOp.NameOf(prologue, LinearEpilogue.Residual);
                if (!context.Target.Supports(fused)) continue;
                fusion.Editor.Replace(add, fused, [.. linear.Inputs, residual], new Attributes(linear.Attrs));
                fusion.Editor.Remove([linear]);
                changed = true;
                break;
            }
        }
        return changed;
    }
}
