namespace Llmc.Ir;

/// <summary>Builds a <see cref="Graph"/> node by node, inferring each result type as it goes.</summary>
public sealed class GraphBuilder
{
    private readonly Graph _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _nextTemp;

    public GraphBuilder(string name)
    {
        _graph = new Graph(name);
    }

    public Value Input(string name, TensorType type) => Define(_graph.Inputs, name, type, ValueKind.Input);

    /// <summary>A weight named by its tensor key in the weight store.</summary>
    public Value Weight(string name, TensorType type) => Define(_graph.Weights, name, type, ValueKind.Weight);

    public Value State(string name, TensorType type) => Define(_graph.States, name, type, ValueKind.State);

    /// <summary>Appends a node; <paramref name="name"/> is a hint made unique, or a number when absent.</summary>
    public Value Op(string op, IReadOnlyList<Value> inputs, Attributes? attrs = null, string? name = null) =>
        Op(OpRegistry.Get(op), inputs, attrs, name);

    public Value Op(OpDef op, IReadOnlyList<Value> inputs, Attributes? attrs = null, string? name = null)
    {
        if (inputs.Count != op.Arity)
            throw new IrException($"{op.Name} takes {op.Arity} operands, got {inputs.Count}");
        attrs ??= new Attributes();
        var type = op.InferType(inputs.Select(v => v.Type).ToList(), attrs);
        var output = new Value(Unique(name ?? (_nextTemp++).ToString(System.Globalization.CultureInfo.InvariantCulture)), type, ValueKind.Node);
        var node = new Node(op, inputs, attrs, output);
        output.Producer = node;
        _graph.Nodes.Add(node);
        return output;
    }

    public void Output(Value value) => _graph.Outputs.Add(value);

    public Graph Build() => _graph;

    private Value Define(List<Value> list, string name, TensorType type, ValueKind kind)
    {
        if (!_names.Add(name)) throw new IrException($"value %{name} defined twice");
        var v = new Value(name, type, kind);
        list.Add(v);
        return v;
    }

    private string Unique(string hint)
    {
        var name = hint;
        for (var i = 1; !_names.Add(name); i++) name = $"{hint}.{i}";
        return name;
    }
}
