namespace Llmc.Ir.Ops;

/// <summary>An op applied element by element to operands of one shape; subclasses give the scalar function.</summary>
public abstract class ElementwiseOp : OpDef
{
    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        for (var i = 0; i < inputs.Count; i++)
        {
            RequireFloat(inputs[i], $"operand {i}");
            Require(inputs[i].Shape.SequenceEqual(inputs[0].Shape), $"operand shapes differ: {inputs[0]} vs {inputs[i]}");
        }
        return new TensorType(DType.F32, inputs[0].Shape);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var y = output.Floats;
        var a = inputs[0].Floats;
        var b = Arity > 1 ? inputs[1].Floats : a;
        for (var i = 0; i < y.Length; i++) y[i] = (float)Apply(a[i], b[i]);
    }

    /// <summary>The scalar function; unary ops ignore <paramref name="b"/>.</summary>
    protected abstract double Apply(double a, double b);
}

/// <summary><c>silu(x) = x·σ(x)</c>.</summary>
public sealed class SiluOp : ElementwiseOp
{
    public override string Name => "silu";

    public override int Arity => 1;

    protected override double Apply(double a, double b) => a / (1 + Math.Exp(-a));
}

/// <summary>
/// <c>gelu_tanh(x) = x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))</c>, the tanh approximation of GELU (Gemma's
/// <c>gelu_pytorch_tanh</c>), computed as the identical x · σ(2·√(2/π)·(x + 0.044715·x³)): 1 + tanh(u) cancels to
/// nothing in double already near x = −8, where the sigmoid form keeps full precision.
/// </summary>
public sealed class GeluTanhOp : ElementwiseOp
{
    public override string Name => "gelu_tanh";

    public override int Arity => 1;

    protected override double Apply(double a, double b) => a / (1 + Math.Exp(-2 * Math.Sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a)));
}

/// <summary><c>mul(a, b) = a·b</c>.</summary>
public sealed class MulOp : ElementwiseOp
{
    public override string Name => "mul";

    public override int Arity => 2;

    protected override double Apply(double a, double b) => a * b;
}

/// <summary><c>add(a, b) = a + b</c>.</summary>
public sealed class AddOp : ElementwiseOp
{
    public override string Name => "add";

    public override int Arity => 2;

    protected override double Apply(double a, double b) => a + b;
}
