namespace Llmc.Ir;

/// <summary>
/// Everything the compiler knows about one op: its name, operand count, which operands are mutable state,
/// type inference and the reference implementation (plain loops, float64 accumulation) that every target is checked against.
/// </summary>
public abstract class OpDef
{
    public abstract string Name { get; }

    public abstract int Arity { get; }

    /// <summary>Operands that the op updates in place; they must be <see cref="ValueKind.State"/> values.</summary>
    public virtual IReadOnlyList<int> StateOperands => [];

    /// <summary>The result type, or an <see cref="IrException"/> naming what does not fit.</summary>
    public abstract TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs);

    /// <summary>Reference semantics: reads <paramref name="inputs"/> (and may update state operands), fills <paramref name="output"/>.</summary>
    public abstract void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output);

    /// <summary>Throws an <see cref="IrException"/> about this op unless <paramref name="condition"/> holds.</summary>
    protected void Require(bool condition, string message)
    {
        if (!condition) throw new IrException($"{Name}: {message}");
    }

    protected void RequireRank(TensorType t, int rank, string operand) =>
        Require(t.Rank == rank, $"{operand} must have rank {rank}, got {t}");

    protected void RequireFloat(TensorType t, string operand) =>
        Require(t.DType.IsFloat(), $"{operand} must be a float tensor, got {t}");

    protected void RequireDType(TensorType t, DType dtype, string operand) =>
        Require(t.DType == dtype, $"{operand} must be {dtype.Name()}, got {t}");

    protected void RequireSameDim(Dim a, Dim b, string what) =>
        Require(a == b, $"{what} disagree: {a} vs {b}");
}
