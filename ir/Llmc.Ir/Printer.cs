using System.Text;

namespace Llmc.Ir;

/// <summary>
/// Writes a graph as text that <see cref="Parser"/> reads back exactly: declarations (inputs, weights, states),
/// then nodes in execution order, then outputs, one per line.
/// </summary>
public static class Printer
{
    public static string Print(Graph graph)
    {
        var sb = new StringBuilder();
        sb.Append("graph ").Append(graph.Name).Append(" {\n");
        Declare(sb, "input", graph.Inputs);
        Declare(sb, "weight", graph.Weights);
        Declare(sb, "state", graph.States);
        foreach (var node in graph.Nodes)
        {
            sb.Append("  ").Append(node.Output).Append(": ").Append(node.Output.Type)
                .Append(" = ").Append(node.Op.Name).Append('(').AppendJoin(", ", node.Inputs).Append(')');
            if (node.Attrs.Count > 0)
                sb.Append(" {").AppendJoin(", ", node.Attrs.Select(a => $"{a.Key} = {Attributes.Format(a.Value)}")).Append('}');
            sb.Append('\n');
        }
        foreach (var output in graph.Outputs) sb.Append("  output ").Append(output).Append('\n');
        return sb.Append("}\n").ToString();
    }

    private static void Declare(StringBuilder sb, string keyword, List<Value> values)
    {
        foreach (var v in values) sb.Append("  ").Append(keyword).Append(' ').Append(v).Append(": ").Append(v.Type).Append('\n');
    }
}
