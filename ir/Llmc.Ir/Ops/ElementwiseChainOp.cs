namespace Llmc.Ir.Ops;

/// <summary>
/// <c>elementwiseN(a, ...) {expr} -> f32</c>: a chain of elementwise ops over N operands of one shape, computed in one
/// pass, e.g. <c>elementwise2(%gate, %up) {expr = "mul(silu(a), b)"}</c>. One op name per operand count, as every
/// op has a fixed arity. The reference evaluates the expression op by op (<see cref="ElementwiseExpression"/>).
/// </summary>
public sealed class ElementwiseChainOp(int arity) : OpDef
{
    public const int MaxArity = 4;

    public static IReadOnlyList<ElementwiseChainOp> All { get; } = [.. Enumerable.Range(1, MaxArity).Select(n => new ElementwiseChainOp(n))];

    public static string NameOf(int arity) => $"elementwise{arity}";

    public override string Name => NameOf(arity);

    public override int Arity => arity;

    /// <summary>The parsed <c>expr</c> attribute.</summary>
    public static ElementwiseExpression ExpressionOf(Attributes attrs) => ElementwiseExpression.Parse(attrs.GetString("expr"));

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        for (var i = 0; i < inputs.Count; i++)
        {
            RequireFloat(inputs[i], $"operand {i}");
            Require(inputs[i].Shape.SequenceEqual(inputs[0].Shape), $"operand shapes differ: {inputs[0]} vs {inputs[i]}");
        }
        var used = ExpressionOf(attrs).Operands().ToHashSet();
        Require(used.SetEquals(Enumerable.Range(0, arity)), $"expr must read each of its {arity} operands, it reads {string.Join(", ", used.Order())}");
        return new TensorType(DType.F32, inputs[0].Shape);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output) =>
        ExpressionOf(attrs).Evaluate(inputs).Floats.CopyTo(output.Floats, 0);
}
