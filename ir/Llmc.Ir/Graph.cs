namespace Llmc.Ir;

/// <summary>
/// A model step as an SSA graph: runtime inputs, weights, state (KV cache), nodes in a valid execution order, and outputs.
/// One graph describes one forward step over <c>seq</c> new tokens; printing and parsing round-trip exactly.
/// </summary>
public sealed class Graph
{
    public Graph(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public List<Value> Inputs { get; } = [];

    public List<Value> Weights { get; } = [];

    public List<Value> States { get; } = [];

    public List<Node> Nodes { get; } = [];

    public List<Value> Outputs { get; } = [];

    /// <summary>Every value the graph defines: inputs, weights, states, then node outputs in order.</summary>
    public IEnumerable<Value> Values => Inputs.Concat(Weights).Concat(States).Concat(Nodes.Select(n => n.Output));

    public Value Find(string name) =>
        Values.FirstOrDefault(v => v.Name == name) ?? throw new IrException($"graph {Name} has no value %{name}");

    /// <summary>The nodes that read each value.</summary>
    public Dictionary<Value, List<Node>> Users()
    {
        var users = Values.ToDictionary(v => v, _ => new List<Node>());
        foreach (var n in Nodes)
            foreach (var v in n.Inputs.Distinct())
                if (users.TryGetValue(v, out var list)) list.Add(n);
        return users;
    }

    public override string ToString() => Printer.Print(this);
}
