using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Compiler.Models;

/// <summary>
/// The building blocks decoder-only transformers share (embedding, RMSNorm, GQA attention with RoPE, SwiGLU MLP, LM head),
/// emitted into one graph. Weights are declared on first use, with their shapes checked against the expected ones.
/// </summary>
public sealed class TransformerBlocks(GraphBuilder graph, WeightStore weights, string sourceName)
{
    private readonly Dictionary<string, Value> _declared = new(StringComparer.Ordinal);

    public GraphBuilder Graph => graph;

    /// <summary>A weight stored as f32, whose source must have exactly <paramref name="shape"/>.</summary>
    public Value Weight(string name, params int[] shape)
    {
        if (_declared.TryGetValue(name, out var known)) return known;
        if (!weights.Contains(name))
            throw new Runtime.ModelFileException(sourceName, $"missing tensor '{name}'");
        var actual = weights[name].Type.Shape.Select(d => d.Size).ToArray();
        if (!actual.SequenceEqual(shape))
            throw new Runtime.ModelFileException(sourceName,
                $"tensor '{name}' has shape [{string.Join(", ", actual)}], the config implies [{string.Join(", ", shape)}]");
        return _declared[name] = graph.Weight(name, new TensorType(DType.F32, shape.Select(d => new Dim(d)).ToArray()));
    }

    /// <param name="scale">Multiplies every value (Gemma's √hidden), where given.</param>
    public Value Embedding(string table, int vocab, int dim, Value tokens, double? scale = null) =>
        graph.Op("embedding", [Weight(table, vocab, dim), tokens], scale is { } s ? new Attributes().Set("scale", s) : null, name: "embed");

    public Value RmsNorm(Value x, string weight, double eps, string name) =>
        graph.Op("rms_norm", [x, Weight(weight, (int)x.Type[1].Size)], new Attributes().Set("eps", eps), name);

    public Value Linear(Value x, string weight, int outFeatures, string name) =>
        graph.Op("linear", [x, Weight(weight, outFeatures, x.Type[1].Size)], name: name);

    /// <summary>A linear plus a bias per output feature, in one op (<c>linear_bias</c>).</summary>
    public Value LinearWithBias(Value x, string weight, string bias, int outFeatures, string name) =>
        graph.Op("linear_bias", [x, Weight(weight, outFeatures, x.Type[1].Size), Weight(bias, outFeatures)], name: name);

    /// <summary>Self-attention with grouped-query heads and rotary positions; returns the output projection.</summary>
    public Value Attention(Value x, AttentionShape shape, string prefix, Value positions, Value invFreq, KvPaging paging, Value kCache, Value vCache, string name)
    {
        Value Projection(string part, int heads) => shape.QkvBias
            ? LinearWithBias(x, $"{prefix}.{part}_proj.weight", $"{prefix}.{part}_proj.bias", heads * shape.HeadDim, $"{name}.{part}")
            : Linear(x, $"{prefix}.{part}_proj.weight", heads * shape.HeadDim, $"{name}.{part}");
        var q = Projection("q", shape.Heads);
        var k = Projection("k", shape.KvHeads);
        var v = Projection("v", shape.KvHeads);
        if (shape.QkNormEps is { } eps)
        {
            // rms_norm with a head-sized weight normalizes each head of the row on its own.
            q = graph.Op("rms_norm", [q, Weight($"{prefix}.q_norm.weight", shape.HeadDim)], new Attributes().Set("eps", eps), $"{name}.q_norm");
            k = graph.Op("rms_norm", [k, Weight($"{prefix}.k_norm.weight", shape.HeadDim)], new Attributes().Set("eps", eps), $"{name}.k_norm");
        }
        var rope = new Attributes().Set("head_dim", shape.HeadDim);
        q = graph.Op("rope", [q, positions, invFreq], rope, $"{name}.q_rope");
        k = graph.Op("rope", [k, positions, invFreq], rope, $"{name}.k_rope");
        var attrs = new Attributes()
            .Set("n_heads", shape.Heads)
            .Set("n_kv_heads", shape.KvHeads)
            .Set("head_dim", shape.HeadDim)
            // Rotated q and k both carry the RoPE attention factor, so their scores carry its square.
            .Set("scale", shape.RopeAttentionFactor * shape.RopeAttentionFactor / Math.Sqrt(shape.QueryPreAttnScalar ?? shape.HeadDim))
            .Set("context", paging.Context);
        if (shape.Window is { } window) attrs.Set(AttentionWindow.Attribute, window);
        if (shape.Softcap is { } softcap) attrs.Set("softcap", softcap);
        var a = graph.Op("attention", [q, k, v, positions, paging.BlockTables, paging.RowBlocks, kCache, vCache], attrs, $"{name}.attn");
        return Linear(a, $"{prefix}.o_proj.weight", x.Type[1].Size, $"{name}.o");
    }

    /// <summary>Gated feed-forward: down(act(gate(x)) · up(x)), SwiGLU with <c>silu</c>, GeGLU with <c>gelu_tanh</c>.</summary>
    public Value GatedMlp(Value x, string prefix, int hidden, string activation, string name)
    {
        var gate = Linear(x, $"{prefix}.gate_proj.weight", hidden, $"{name}.gate");
        var up = Linear(x, $"{prefix}.up_proj.weight", hidden, $"{name}.up");
        var act = graph.Op(activation, [gate], name: $"{name}.act");
        var prod = graph.Op("mul", [act, up], name: $"{name}.prod");
        return Linear(prod, $"{prefix}.down_proj.weight", x.Type[1].Size, $"{name}.down");
    }

    public Value Residual(Value x, Value delta, string name) => graph.Op("add", [x, delta], name: name);
}

/// <summary>The step inputs every attention layer reads its sequences' KV blocks through, and the longest sequence.</summary>
public sealed record KvPaging(Value BlockTables, Value RowBlocks, int Context);

/// <summary>
/// Head layout of one attention block, the positions a query sees (null: its whole sequence), whether the q, k and
/// v projections have biases, the eps of the per-head RMSNorm of q and k before RoPE where there is one, and the
/// factor RoPE scaling multiplies rotations by (<see cref="Frontends.HfConfig.RopeScaling.AttentionFactor"/>), and
/// Gemma's <c>query_pre_attn_scalar</c> (scores scaled by its −1/2 power instead of head_dim's) and score soft-cap.
/// </summary>
public readonly record struct AttentionShape(
    int Heads, int KvHeads, int HeadDim, int? Window = null, bool QkvBias = false, double? QkNormEps = null, double RopeAttentionFactor = 1.0,
    double? QueryPreAttnScalar = null, double? Softcap = null);
