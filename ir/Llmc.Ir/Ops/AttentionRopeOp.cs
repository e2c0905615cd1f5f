namespace Llmc.Ir.Ops;

/// <summary>
/// <c>attention_rope(qkv[r, (Hq + 2·Hkv)·hd], positions: i32[r], inv_freq[hd/2], block_tables, row_blocks, k_cache,
/// v_cache) {n_heads, n_kv_heads, head_dim, scale, context[, window]} -> f32[r, Hq·hd]</c>: attention reading one fused Q/K/V projection, with
/// the rotary embedding of q and k applied inside the kernel. Its reference is the unfused decomposition: split
/// qkv into q, k, v; <c>rope</c> q and k; <c>attention</c>.
/// </summary>
public sealed class AttentionRopeOp : OpDef
{
    public override string Name => "attention_rope";

    public override int Arity => 7;

    public override IReadOnlyList<int> StateOperands => [5, 6];

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var (qkv, positions, invFreq) = (inputs[0], inputs[1], inputs[2]);
        int hq = attrs.GetInt("n_heads"), hkv = attrs.GetInt("n_kv_heads"), hd = attrs.GetInt("head_dim");
        RequireRank(qkv, 2, "qkv");
        RequireDType(qkv, DType.F32, "qkv");
        Require(qkv[1] == new Dim((hq + 2 * hkv) * hd), $"qkv width must be (n_heads + 2·n_kv_heads)·head_dim = {(hq + 2 * hkv) * hd}, got {qkv[1]}");
        var (q, kv) = (new TensorType(DType.F32, qkv[0], new Dim(hq * hd)), new TensorType(DType.F32, qkv[0], new Dim(hkv * hd)));
        var rope = new Attributes().Set("head_dim", hd);
        OpRegistry.Get<RopeOp>().InferType([q, positions, invFreq], rope);
        OpRegistry.Get<RopeOp>().InferType([kv, positions, invFreq], rope);
        return OpRegistry.Get<AttentionOp>().InferType([q, kv, kv, positions, inputs[3], inputs[4], inputs[5], inputs[6]], attrs);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var (qkv, positions, invFreq) = (inputs[0], inputs[1], inputs[2]);
        int hq = attrs.GetInt("n_heads"), hkv = attrs.GetInt("n_kv_heads"), hd = attrs.GetInt("head_dim");
        var q = Columns(qkv, 0, hq * hd);
        var k = Columns(qkv, hq * hd, hkv * hd);
        var v = Columns(qkv, (hq + hkv) * hd, hkv * hd);
        var rope = new Attributes().Set("head_dim", hd);
        var (qRotated, kRotated) = (new HostTensor(DType.F32, [.. q.Shape]), new HostTensor(DType.F32, [.. k.Shape]));
        OpRegistry.Get<RopeOp>().Evaluate(rope, [q, positions, invFreq], qRotated);
        OpRegistry.Get<RopeOp>().Evaluate(rope, [k, positions, invFreq], kRotated);
        OpRegistry.Get<AttentionOp>().Evaluate(attrs, [qRotated, kRotated, v, positions, inputs[3], inputs[4], inputs[5], inputs[6]], output);
    }

    /// <summary>Columns [first, first + width) of a row-major matrix.</summary>
    private static HostTensor Columns(HostTensor matrix, int first, int width)
    {
        int rows = matrix.Dim(0), stride = matrix.Dim(1);
        var part = new HostTensor(DType.F32, [rows, width]);
        for (var r = 0; r < rows; r++) Array.Copy(matrix.Floats, r * stride + first, part.Floats, r * width, width);
        return part;
    }
}
