using Llmc.Ir.Ops;

namespace Llmc.Ir.Tests;

/// <summary>The fused ops' conventions (interleaved gate/up rows, Q/K/V column ranges) and their refusals of bad input.</summary>
public sealed class FusedOpTests
{
    [Fact]
    public void Swiglu_reads_gate_rows_at_even_and_up_rows_at_odd_positions()
    {
        var random = new Random(3);
        HostTensor Random(params int[] shape) => new(shape, [.. Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() - 0.5))]);
        var (x, gate, up) = (Random(2, 5), Random(3, 5), Random(3, 5));
        var stacked = new HostTensor([6, 5], new float[30]);
        for (var f = 0; f < 3; f++)
        {
            Array.Copy(gate.Floats, f * 5, stacked.Floats, 2 * f * 5, 5);
            Array.Copy(up.Floats, f * 5, stacked.Floats, (2 * f + 1) * 5, 5);
        }
        var fused = new HostTensor(DType.F32, [2, 3]);
        OpRegistry.Get("linear_swiglu").Evaluate(new Attributes(), [x, stacked], fused);
        var (g, u) = (new HostTensor(DType.F32, [2, 3]), new HostTensor(DType.F32, [2, 3]));
        OpRegistry.Get("linear").Evaluate(new Attributes(), [x, gate], g);
        OpRegistry.Get("linear").Evaluate(new Attributes(), [x, up], u);
        for (var i = 0; i < 6; i++)
        {
            double a = g.Floats[i], expected = a / (1 + Math.Exp(-a)) * u.Floats[i];
            Assert.Equal(expected, fused.Floats[i], 1e-6);
        }
    }

    [Fact]
    public void Bad_fused_operands_are_refused_by_name()
    {
        var x = new TensorType(DType.F32, Dim.Seq, new Dim(16));
        var odd = Assert.Throws<IrException>(() => OpRegistry.Get("linear_swiglu").InferType([x, new TensorType(DType.F32, 7, 16)], new Attributes()));
        Assert.Contains("even number of rows", odd.Message);
        var attrs = new Attributes().Set("n_heads", 4).Set("n_kv_heads", 2).Set("head_dim", 4).Set("scale", 0.5).Set("context", 8);
        var cache = new TensorType(DType.F32, Dim.KvBlocks, Dim.KvBlock, 8);
        var rows = new TensorType(DType.I32, Dim.Seq);
        var narrow = Assert.Throws<IrException>(() => OpRegistry.Get("attention_rope").InferType(
            [new TensorType(DType.F32, Dim.Seq, new Dim(24)), rows, new TensorType(DType.F32, 2), new TensorType(DType.I32, Dim.KvTable), rows, cache, cache], attrs));
        Assert.Contains("qkv width must be", narrow.Message);
        var unread = Assert.Throws<IrException>(() => OpRegistry.Get("elementwise2").InferType([x, x], new Attributes().Set("expr", "silu(a)")));
        Assert.Contains("must read each of its 2 operands", unread.Message);
    }

    [Theory]
    [InlineData("mul(a)", "mul takes 2 operands")]
    [InlineData("rope(a)", "'rope' is not an elementwise op")]
    [InlineData("add(a, e)", "'e' is not an operand")]
    [InlineData("silu(a) b", "unexpected text after the expression")]
    [InlineData("silu(a", "expected ',' or ')'")]
    public void Bad_elementwise_expressions_say_what_is_wrong(string text, string problem)
    {
        var error = Assert.Throws<IrException>(() => ElementwiseExpression.Parse(text));
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Elementwise_expressions_print_as_they_parse()
    {
        const string text = "add(mul(silu(a), b), c)";
        Assert.Equal(text, ElementwiseExpression.Parse(text).ToString());
    }
}
