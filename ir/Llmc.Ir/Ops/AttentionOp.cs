using Llmc.Ir.Quantization;

namespace Llmc.Ir.Ops;

/// <summary>
/// <c>attention(q[r, Hq*hd], k[r, Hkv*hd], v[r, Hkv*hd], positions: i32[r], block_tables: i32[kv_table],
/// row_blocks: i32[r], k_cache, v_cache) {n_heads, n_kv_heads, head_dim, scale, context[, window][, softcap]} -> f32[r, Hq*hd]</c>.
/// With <c>softcap</c> (Gemma 2), each scaled score s becomes softcap · tanh(s / softcap) before the softmax.
/// The caches are pools of blocks (<see cref="KvCacheFormat"/>: f32, or kv8, whose rows are quantized as they are
/// written and read back as scale · code); each row belongs to the sequence whose block table starts at its
/// <c>row_blocks</c> entry (<see cref="KvBlockTable"/>), so one step carries rows of many sequences at any positions.
/// First writes each row's k and v into its sequence's pool row for its position, then every query row attends
/// causally to its own sequence's positions 0..its position, or only the last <c>window</c> of them
/// (<see cref="AttentionWindow"/>; grouped-query: query head h reads kv head h / (Hq/Hkv)).
/// Positions are below <c>context</c>, the longest sequence the engine runs; no two rows of a step write one pool row.
/// </summary>
public sealed class AttentionOp : OpDef
{
    public override string Name => "attention";

    public override int Arity => 8;

    public override IReadOnlyList<int> StateOperands => [6, 7];

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var (q, k, v, pos) = (inputs[0], inputs[1], inputs[2], inputs[3]);
        int hq = attrs.GetInt("n_heads"), hkv = attrs.GetInt("n_kv_heads"), hd = attrs.GetInt("head_dim");
        Require(hq > 0 && hkv > 0 && hd > 0 && hq % hkv == 0, $"n_heads {hq} must be a positive multiple of n_kv_heads {hkv}");
        foreach (var (t, name) in new[] { (q, "q"), (k, "k"), (v, "v") })
        {
            RequireRank(t, 2, name);
            RequireDType(t, DType.F32, name);
            RequireSameDim(t[0], pos[0], $"{name} rows and positions");
        }
        Require(q[1] == new Dim(hq * hd), $"q width must be n_heads*head_dim = {hq * hd}, got {q[1]}");
        Require(k[1] == new Dim(hkv * hd) && v[1] == new Dim(hkv * hd), $"k and v width must be n_kv_heads*head_dim = {hkv * hd}");
        CheckPaging(inputs.Skip(3).ToList(), attrs, hkv, hd);
        return new TensorType(DType.F32, q.Shape);
    }

    /// <summary>
    /// Checks the operands attention and its fused forms share, in this order: positions, block_tables, row_blocks,
    /// k_cache, v_cache; and the scale and context attributes.
    /// </summary>
    private void CheckPaging(IReadOnlyList<TensorType> operands, Attributes attrs, int hkv, int hd)
    {
        var (pos, tables, rowBlocks, kc, vc) = (operands[0], operands[1], operands[2], operands[3], operands[4]);
        Require(attrs.GetDouble("scale") > 0, "scale must be positive");
        Require(attrs.GetInt("context") > 0, "context must be positive");
        Require(AttentionWindow.Of(attrs) is not <= 0, "window must be positive");
        Require(!attrs.ContainsKey("softcap") || attrs.GetDouble("softcap") > 0, "softcap must be positive");
        foreach (var (t, name) in new[] { (pos, "positions"), (tables, "block_tables"), (rowBlocks, "row_blocks") })
        {
            RequireRank(t, 1, name);
            RequireDType(t, DType.I32, name);
        }
        RequireSameDim(rowBlocks[0], pos[0], "row_blocks and positions");
        foreach (var (t, name) in new[] { (kc, "k_cache"), (vc, "v_cache") })
            Require(KvCacheFormat.IsCacheType(t, hkv, hd),
                $"{name} must be f32[blocks, block, {hkv * hd}] or kv8[blocks, block, {hkv}, {hd}], got {t}");
        Require(kc == vc, $"k_cache and v_cache must be stored alike, got {kc} and {vc}");
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var (q, k, v, pos, tables, rowBlocks, y) = (inputs[0].Floats, inputs[1].Floats, inputs[2].Floats, inputs[3].Ints, inputs[4].Ints, inputs[5].Ints, output.Floats);
        int hq = attrs.GetInt("n_heads"), hkv = attrs.GetInt("n_kv_heads"), hd = attrs.GetInt("head_dim"), context = attrs.GetInt("context");
        var (kc, vc) = (KvCacheView.Of(inputs[6], hkv, hd), KvCacheView.Of(inputs[7], hkv, hd));
        var scale = attrs.GetDouble("scale");
        var window = AttentionWindow.Of(attrs);
        double? softcap = attrs.ContainsKey("softcap") ? attrs.GetDouble("softcap") : null;
        int kvw = hkv * hd, group = hq / hkv, blocks = inputs[6].Dim(0), blockSize = inputs[6].Dim(1);
        int Slot(int row, int position) => KvBlockTable.Slot(tables, rowBlocks, row, position, blockSize, blocks);
        var written = new HashSet<int>();
        for (var r = 0; r < pos.Length; r++)
        {
            Require((uint)pos[r] < (uint)context, $"position {pos[r]} outside the context of {context}");
            var slot = Slot(r, pos[r]);
            Require(written.Add(slot), $"row {r} writes pool row {slot}, which an earlier row of the step writes");
            kc.Write(slot, k.AsSpan(r * kvw, kvw));
            vc.Write(slot, v.AsSpan(r * kvw, kvw));
        }
        var scores = new double[context];
        var slots = new int[context];
        for (var r = 0; r < pos.Length; r++)
        {
            var first = AttentionWindow.FirstPosition(pos[r], window);
            for (var t = first; t <= pos[r]; t++) slots[t] = Slot(r, t);
            for (var h = 0; h < hq; h++)
            {
                int qo = r * hq * hd + h * hd, ko = h / group * hd;
                var max = double.NegativeInfinity;
                for (var t = first; t <= pos[r]; t++)
                {
                    double dot = 0;
                    for (var i = 0; i < hd; i++) dot += (double)q[qo + i] * kc[slots[t], ko + i];
                    scores[t] = softcap is { } cap ? cap * Math.Tanh(dot * scale / cap) : dot * scale;
                    max = Math.Max(max, scores[t]);
                }
                double sum = 0;
                for (var t = first; t <= pos[r]; t++) sum += scores[t] = Math.Exp(scores[t] - max);
                for (var i = 0; i < hd; i++)
                {
                    double acc = 0;
                    for (var t = first; t <= pos[r]; t++) acc += scores[t] * vc[slots[t], ko + i];
                    y[qo + i] = (float)(acc / sum);
                }
            }
        }
    }
}
