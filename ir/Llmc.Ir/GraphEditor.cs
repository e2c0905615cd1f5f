namespace Llmc.Ir;

/// <summary>
/// The edits passes make to a graph in place: add a node before another, redirect uses, drop nodes, change a weight's
/// type. Each edit keeps values uniquely named and types inferred; passes run the verifier afterwards.
/// </summary>
public sealed class GraphEditor(Graph graph)
{
    public Graph Graph => graph;

    /// <summary>Adds a node right before <paramref name="before"/> (or at the end when null) and returns its value.</summary>
    public Value InsertBefore(Node? before, string op, IReadOnlyList<Value> inputs, Attributes? attrs = null, string? name = null)
    {
        var def = OpRegistry.Get(op);
        if (inputs.Count != def.Arity) throw new IrException($"{def.Name} takes {def.Arity} operands, got {inputs.Count}");
        attrs ??= new Attributes();
        var output = new Value(UniqueName(name ?? def.Name), def.InferType(inputs.Select(v => v.Type).ToList(), attrs), ValueKind.Node);
        var node = new Node(def, inputs, attrs, output);
        output.Producer = node;
        var at = before is null ? graph.Nodes.Count : graph.Nodes.IndexOf(before);
        if (at < 0) throw new IrException($"node {before} is not in graph {graph.Name}");
        graph.Nodes.Insert(at, node);
        return output;
    }

    /// <summary>
    /// Puts a new node in <paramref name="old"/>'s place, defining a value of the same name (its type re-inferred) that
    /// every user of the old value now reads: how a fusion keeps the name of the value a fused group produces.
    /// </summary>
    public Value Replace(Node old, string op, IReadOnlyList<Value> inputs, Attributes? attrs = null)
    {
        var def = OpRegistry.Get(op);
        if (inputs.Count != def.Arity) throw new IrException($"{def.Name} takes {def.Arity} operands, got {inputs.Count}");
        var at = graph.Nodes.IndexOf(old);
        if (at < 0) throw new IrException($"node {old} is not in graph {graph.Name}");
        attrs ??= new Attributes();
        var output = new Value(old.Output.Name, def.InferType(inputs.Select(v => v.Type).ToList(), attrs), ValueKind.Node);
        var node = new Node(def, inputs, attrs, output);
        output.Producer = node;
        graph.Nodes[at] = node;
        ReplaceAllUses(old.Output, output);
        return output;
    }

    /// <summary>Makes every node and output that read <paramref name="old"/> read <paramref name="replacement"/>.</summary>
    public void ReplaceAllUses(Value old, Value replacement)
    {
        foreach (var n in graph.Nodes)
            for (var i = 0; i < n.Inputs.Count; i++)
                if (n.Inputs[i] == old) n.Inputs[i] = replacement;
        for (var i = 0; i < graph.Outputs.Count; i++)
            if (graph.Outputs[i] == old) graph.Outputs[i] = replacement;
    }

    /// <summary>Removes nodes nothing reads any more; throws if one still has a user.</summary>
    public void Remove(IEnumerable<Node> nodes)
    {
        var doomed = nodes.ToHashSet();
        var stillUsed = graph.Nodes.Where(n => !doomed.Contains(n)).SelectMany(n => n.Inputs).Concat(graph.Outputs)
            .FirstOrDefault(v => v.Producer is { } p && doomed.Contains(p));
        if (stillUsed is not null) throw new IrException($"cannot remove the node defining {stillUsed}: it is still used");
        graph.Nodes.RemoveAll(doomed.Contains);
    }

    /// <summary>Declares a new weight (e.g. a quantized or concatenated form of existing ones).</summary>
    public Value AddWeight(string name, TensorType type)
    {
        if (graph.Values.Any(v => v.Name == name)) throw new IrException($"value %{name} already exists");
        var weight = new Value(name, type, ValueKind.Weight);
        graph.Weights.Add(weight);
        return weight;
    }

    /// <summary>Drops weights no node reads any more.</summary>
    public void RemoveUnusedWeights()
    {
        var used = graph.Nodes.SelectMany(n => n.Inputs).ToHashSet();
        graph.Weights.RemoveAll(w => !used.Contains(w));
    }

    private string UniqueName(string hint)
    {
        var names = graph.Values.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var name = hint;
        for (var i = 1; names.Contains(name); i++) name = $"{hint}.{i}";
        return name;
    }
}
