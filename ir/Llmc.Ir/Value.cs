namespace Llmc.Ir;

/// <summary>Where a value comes from.</summary>
public enum ValueKind
{
    /// <summary>Fed by the runtime each step (token ids, positions, rows to score).</summary>
    Input,

    /// <summary>A constant tensor stored in the engine, named by its source key.</summary>
    Weight,

    /// <summary>Mutable memory that lives across steps (the KV cache).</summary>
    State,

    /// <summary>Produced by a node.</summary>
    Node,
}

/// <summary>An SSA value: defined once, by the graph or by one node.</summary>
public sealed class Value
{
    internal Value(string name, TensorType type, ValueKind kind)
    {
        Name = name;
        Type = type;
        Kind = kind;
    }

    /// <summary>Unique within its graph; printed as <c>%name</c>.</summary>
    public string Name { get; internal set; }

    public TensorType Type { get; internal set; }

    public ValueKind Kind { get; }

    /// <summary>The node that defines this value, for <see cref="ValueKind.Node"/>.</summary>
    public Node? Producer { get; internal set; }

    public override string ToString() => "%" + Name;
}
