namespace Llmc.Ir;

/// <summary>One operation: an op, its operands, its attributes and the single value it defines.</summary>
public sealed class Node
{
    internal Node(OpDef op, IReadOnlyList<Value> inputs, Attributes attrs, Value output)
    {
        Op = op;
        Inputs = [.. inputs];
        Attrs = attrs;
        Output = output;
    }

    public OpDef Op { get; }

    public List<Value> Inputs { get; }

    public Attributes Attrs { get; }

    public Value Output { get; }

    public override string ToString() => $"{Output} = {Op.Name}({string.Join(", ", Inputs)})";
}
