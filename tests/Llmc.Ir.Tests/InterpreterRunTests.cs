using Llmc.Ir.Quantization;

namespace Llmc.Ir.Tests;

/// <summary>Whole-graph runs: symbol binding, argument checks and the KV cache across steps.</summary>
public sealed class InterpreterRunTests
{
    private static readonly Graph Llama = Fixtures.Load("llama_two_layer_gqa.ir");

    private static IReadOnlyDictionary<string, HostTensor> Step(Dictionary<string, HostTensor> states, int[] tokens, int[] positions, int[] rows) =>
        ReferenceInterpreter.Run(
            Llama,
            KvBlockTable.AddOneBlock(new Dictionary<string, HostTensor>
            {
                ["tokens"] = Tensors.I(tokens),
                ["positions"] = Tensors.I(positions),
                ["logit_rows"] = Tensors.I(rows),
            }, tokens.Length),
            Tensors.RandomWeights(Llama),
            states);

    [Fact]
    public void Decoding_token_by_token_from_the_cache_equals_one_prefill_step()
    {
        int[] tokens = [5, 9, 2];
        var prefill = Step([], tokens, [0, 1, 2], [0, 1, 2])["logits"];
        Assert.Equal([3, 32], prefill.Shape);
        Assert.All(prefill.Floats, x => Assert.True(float.IsFinite(x)));

        var states = new Dictionary<string, HostTensor>();
        for (var p = 0; p < tokens.Length; p++)
        {
            var decoded = Step(states, [tokens[p]], [p], [0])["logits"];
            Assert.Equal([1, 32], decoded.Shape);
            // Each row is computed by the same loops in both runs, so the results agree bit for bit.
            Assert.Equal(prefill.Floats[(p * 32)..((p + 1) * 32)], decoded.Floats);
        }
        Assert.Equal(["k_cache.0", "k_cache.1", "v_cache.0", "v_cache.1"], states.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_cache_changes_the_result()
    {
        var states = new Dictionary<string, HostTensor>();
        Step(states, [5], [0], [0]);
        var withHistory = Step(states, [9], [1], [0])["logits"];
        var withoutHistory = Step([], [9], [1], [0])["logits"];
        Assert.NotEqual(withHistory.Floats, withoutHistory.Floats);
    }

    [Fact]
    public void Out_rows_are_bound_separately_from_seq()
    {
        var logits = Step([], [1, 2, 3, 4], [0, 1, 2, 3], [3])["logits"];
        Assert.Equal([1, 32], logits.Shape);
    }

    [Fact]
    public void Inconsistent_symbol_binding_is_an_error()
    {
        var e = Assert.Throws<IrException>(() => Step([], [1, 2], [0, 1, 2], [0]));
        Assert.Equal("%positions binds seq = 3 but an earlier value bound seq = 2", e.Message);
    }

    [Fact]
    public void Missing_input_is_an_error()
    {
        var e = Assert.Throws<IrException>(() => ReferenceInterpreter.Run(
            Llama, new Dictionary<string, HostTensor>(), Tensors.RandomWeights(Llama), new Dictionary<string, HostTensor>()));
        Assert.Equal("missing input %tokens", e.Message);
    }

    [Fact]
    public void Weight_of_the_wrong_shape_is_an_error()
    {
        var g = Fixtures.Load("mixed_dims.ir");
        var inputs = new Dictionary<string, HostTensor>
        {
            ["tokens"] = Tensors.I(1),
            ["rows"] = Tensors.I(0),
            ["fixed"] = new HostTensor(DType.F32, [4, 8]),
        };
        var e = Assert.Throws<IrException>(() => ReferenceInterpreter.Run(
            g, inputs, name => Tensors.Random(name, name == "proj" ? [8, 3] : [.. g.Find(name).Type.Shape.Select(d => d.Size)]),
            new Dictionary<string, HostTensor>()));
        Assert.Equal("%proj is f32[3, 8] but was given shape [8, 3]", e.Message);
    }

    [Fact]
    public void Integer_tensor_for_a_float_input_is_an_error()
    {
        var g = Fixtures.Load("mixed_dims.ir");
        var inputs = new Dictionary<string, HostTensor>
        {
            ["tokens"] = Tensors.I(1),
            ["rows"] = Tensors.I(0),
            ["fixed"] = new HostTensor(DType.I32, [4, 8]),
        };
        var e = Assert.Throws<IrException>(() => ReferenceInterpreter.Run(
            g, inputs, Tensors.RandomWeights(g), new Dictionary<string, HostTensor>()));
        Assert.Equal("%fixed is f32[4, 8] but was given a i32 tensor", e.Message);
    }

    [Fact]
    public void Malformed_graph_is_refused()
    {
        var g = Fixtures.Load("mixed_dims.ir");
        g.Outputs.Clear();
        var e = Assert.Throws<IrException>(() => ReferenceInterpreter.Run(
            g, new Dictionary<string, HostTensor>(), Tensors.RandomWeights(g), new Dictionary<string, HostTensor>()));
        Assert.Contains("the graph has no outputs", e.Message);
    }
}
