using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Compiler.Passes.Fusion;

/// <summary>
/// Chains of elementwise ops (<c>silu</c>, <c>mul</c>, <c>add</c>, earlier chains) where each intermediate has one
/// reader → one <c>elementwiseN {expr}</c> (at most <see cref="ElementwiseChainOp.MaxArity"/> operands), so the
/// chain reads its operands and writes its result once. Only where the target has the chain op.
/// </summary>
public sealed class FuseElementwise : IPass
{
    public const string PassName = "fuse-elementwise";

    public string Name => PassName;

    public string Description => "chains of elementwise ops into one kernel";

    public bool Run(Graph graph, PassContext context)
    {
        var changed = false;
        // Each merge changes the users of the values around it, so the graph is rescanned after one.
        while (MergeOne(graph, context)) changed = true;
        return changed;
    }

    private static bool MergeOne(Graph graph, PassContext context)
    {
        var fusion = new FusionGraph(graph, context);
        foreach (var consumer in graph.Nodes.Where(n => IsElementwise(n.Op)))
        {
            foreach (var value in consumer.Inputs.Distinct())
            {
                if (fusion.SoleProducer(value, consumer, IsElementwise) is not { } producer) continue;
                var operands = consumer.Inputs.SelectMany(v => v == value ? producer.Inputs : [v]).Distinct().ToList();
                var op = ElementwiseChainOp.NameOf(operands.Count);
                if (operands.Count > ElementwiseChainOp.MaxArity || !context.Target.Supports(op)) continue;
                ElementwiseExpression OperandOf(Value v) => new ElementwiseExpression.Operand(operands.IndexOf(v));
                var inner = ExpressionOf(producer).Substitute(i => OperandOf(producer.Inputs[i]));
                var merged = ExpressionOf(consumer).Substitute(i => consumer.Inputs[i] == value ? inner : OperandOf(consumer.Inputs[i]));
                fusion.Editor.Replace(consumer, op, operands, new Attributes().Set("expr", merged.ToString()));
                fusion.Editor.Remove([producer]);
                return true;
            }
        }
        return false;
    }

    private static bool IsElementwise(OpDef op) => op is ElementwiseOp or ElementwiseChainOp;

    private static ElementwiseExpression ExpressionOf(Node node) =>
        node.Op is ElementwiseOp op ? ElementwiseExpression.Of(op) : ElementwiseChainOp.ExpressionOf(node.Attrs);
}
