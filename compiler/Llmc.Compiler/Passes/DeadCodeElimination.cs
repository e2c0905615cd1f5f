using Llmc.Ir;

namespace Llmc.Compiler.Passes;

/// <summary>Removes nodes whose value nobody reads and which write no state, then weights nothing reads.</summary>
public sealed class DeadCodeElimination : IPass
{
    public string Name => "dce";

    public string Description => "remove nodes and weights that nothing uses";

    public bool Run(Graph graph, PassContext context)
    {
        var before = graph.Nodes.Count + graph.Weights.Count;
        var editor = new GraphEditor(graph);
        while (true)
        {
            var used = graph.Nodes.SelectMany(n => n.Inputs).Concat(graph.Outputs).ToHashSet();
            var dead = graph.Nodes.Where(n => !used.Contains(n.Output) && n.Op.StateOperands.Count == 0).ToList();
            if (dead.Count == 0) break;
            editor.Remove(dead);
        }
        editor.RemoveUnusedWeights();
        return graph.Nodes.Count + graph.Weights.Count != before;
    }
}
