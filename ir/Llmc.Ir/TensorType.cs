using System.Collections.Immutable;

namespace Llmc.Ir;

/// <summary>Element type plus shape (row-major, last dimension contiguous).</summary>
public sealed record TensorType(DType DType, ImmutableArray<Dim> Shape)
{
    public TensorType(DType dtype, params Dim[] shape) : this(dtype, ImmutableArray.Create(shape))
    {
    }

    public int Rank => Shape.Length;

    public Dim this[int axis] => Shape[axis < 0 ? Shape.Length + axis : axis];

    public bool IsStatic => Shape.All(d => !d.IsSymbolic);

    /// <summary>Element count with symbols bound.</summary>
    public long ElementCount(IReadOnlyDictionary<string, int> symbols)
    {
        long n = 1;
        foreach (var d in Shape) n *= d.Resolve(symbols);
        return n;
    }

    /// <summary>Element count of a fully static type.</summary>
    public long StaticElementCount =>
        IsStatic ? Shape.Aggregate(1L, (n, d) => n * d.Size) : throw new IrException($"{this} has symbolic dimensions");

    public bool Equals(TensorType? other) =>
        other is not null && DType == other.DType && Shape.SequenceEqual(other.Shape);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(DType);
        foreach (var d in Shape) h.Add(d);
        return h.ToHashCode();
    }

    public override string ToString() => $"{DType.Name()}[{string.Join(", ", Shape)}]";
}
