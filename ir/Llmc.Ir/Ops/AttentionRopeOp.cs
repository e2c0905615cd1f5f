namespace Llmc.Ir.Ops;

/// <summary>
/// <c>attention_rope(qkv[r, (Hq + 2·Hkv)·hd], positions: i32[r], inv_freq[hd/2], block_tables, row_blocks, k_cache,
/// v_cache) {n_heads, n_kv_heads, head_dim, scale, context[, window]} -> f32[r, Hq·hd]</c>: attention reading one fused
/// Q/K/V projection, with the rotary embedding of q and k applied inside the kernel. With <paramref name="qkNorm"/> it
/// is <c>attention_qk_norm_rope(..., q_norm[hd], k_norm[hd]) {..., eps}</c>: each q and k head is RMS-normalized
/// before it is rotated (Qwen3, Gemma 3). Its reference is the unfused decomposition: split qkv into q, k, v;
/// <c>rms_norm</c> q and k per head (with the norm); <c>rope</c> q and k; <c>attention</c>.
/// </summary>
public sealed class AttentionRopeOp(bool qkNorm) : OpDef
{
    /// <summary>Both members: without and with the q/k norm.</summary>
    public static IReadOnlyList<AttentionRopeOp> All { get; } = [new(false), new(true)];

    public bool NormalizesQk => qkNorm;

    public override string Name => qkNorm ? "attention_qk_norm_rope" : "attention_rope";

    /// <summary>Operand index of the q norm weight (the k norm's follows it), with the q/k norm.</summary>
    public const int QueryNormOperand = 7;

    public override int Arity => qkNorm ? 9 : 7;

    public override IReadOnlyList<int> StateOperands => [5, 6];

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var (qkv, positions, invFreq) = (inputs[0], inputs[1], inputs[2]);
        int hq = attrs.GetInt("n_heads"), hkv = attrs.GetInt("n_kv_heads"), hd = attrs.GetInt("head_dim");
        RequireRank(qkv, 2, "qkv");
        RequireDType(qkv, DType.F32, "qkv");
        Require(qkv[1] == new Dim((hq + 2 * hkv) * hd), $"qkv width must be (n_heads + 2·n_kv_heads)·head_dim = {(hq + 2 * hkv) * hd}, got {qkv[1]}");
        var (q, kv) = (new TensorType(DType.F32, qkv[0], new Dim(hq * hd)), new TensorType(DType.F32, qkv[0], new Dim(hkv * hd)));
        if (qkNorm)
        {
            foreach (var (norm, name) in new[] { (inputs[QueryNormOperand], "q_norm"), (inputs[QueryNormOperand + 1], "k_norm") })
            {
                RequireDType(norm, DType.F32, name);
                Require(norm.Rank == 1 && norm[0] == new Dim(hd), $"{name} must be f32[head_dim = {hd}], got {norm}");
            }
            Require(attrs.GetDouble("eps") > 0, "eps must be positive");
        }
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
        if (qkNorm)
        {
            q = Normalized(q, inputs[QueryNormOperand], attrs);
            k = Normalized(k, inputs[QueryNormOperand + 1], attrs);
        }
        var rope = new Attributes().Set("head_dim", hd);
        var (qRotated, kRotated) = (new HostTensor(DType.F32, [.. q.Shape]), new HostTensor(DType.F32, [.. k.Shape]));
        OpRegistry.Get<RopeOp>().Evaluate(rope, [q, positions, invFreq], qRotated);
        OpRegistry.Get<RopeOp>().Evaluate(rope, [k, positions, invFreq], kRotated);
        OpRegistry.Get<AttentionOp>().Evaluate(attrs, [qRotated, kRotated, v, positions, inputs[3], inputs[4], inputs[5], inputs[6]], output);
    }

    /// <summary>Each head of <paramref name="heads"/> through <c>rms_norm</c> with <paramref name="weight"/>.</summary>
    private static HostTensor Normalized(HostTensor heads, HostTensor weight, Attributes attrs)
    {
        var normed = new HostTensor(DType.F32, [.. heads.Shape]);
        OpRegistry.Get<RmsNormOp>().Evaluate(new Attributes().Set("eps", attrs.GetDouble("eps")), [heads, weight], normed);
        return normed;
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
