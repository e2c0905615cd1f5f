using Llmc.Ir.Quantization;

namespace Llmc.Ir.Ops;

/// <summary>
/// <c>attention(q[r, Hq*hd], k[r, Hkv*hd], v[r, Hkv*hd], positions: i32[r], k_cache[ctx, Hkv*hd], v_cache[ctx, Hkv*hd])
/// {n_heads, n_kv_heads, head_dim, scale} -> f32[r, Hq*hd]</c>, the caches f32, or both <c>kv8[ctx, Hkv, hd]</c>
/// (<see cref="KvCacheFormat"/>: k and v rows are quantized as they are written, and read back as scale · code).
/// First writes each row's k and v into the caches at its position, then every query row attends causally to
/// cache rows 0..its position (grouped-query: query head h reads kv head h / (Hq/Hkv)).
/// </summary>
public sealed class AttentionOp : OpDef
{
    public override string Name => "attention";

    public override int Arity => 6;

    public override IReadOnlyList<int> StateOperands => [4, 5];

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var (q, k, v, pos, kc, vc) = (inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], inputs[5]);
        int hq = attrs.GetInt("n_heads"), hkv = attrs.GetInt("n_kv_heads"), hd = attrs.GetInt("head_dim");
        Require(hq > 0 && hkv > 0 && hd > 0 && hq % hkv == 0, $"n_heads {hq} must be a positive multiple of n_kv_heads {hkv}");
        Require(attrs.GetDouble("scale") > 0, "scale must be positive");
        foreach (var (t, name) in new[] { (q, "q"), (k, "k"), (v, "v") })
        {
            RequireRank(t, 2, name);
            RequireDType(t, DType.F32, name);
            RequireSameDim(t[0], pos[0], $"{name} rows and positions");
        }
        RequireRank(pos, 1, "positions");
        RequireDType(pos, DType.I32, "positions");
        Require(q[1] == new Dim(hq * hd), $"q width must be n_heads*head_dim = {hq * hd}, got {q[1]}");
        Require(k[1] == new Dim(hkv * hd) && v[1] == new Dim(hkv * hd), $"k and v width must be n_kv_heads*head_dim = {hkv * hd}");
        foreach (var (t, name) in new[] { (kc, "k_cache"), (vc, "v_cache") })
        {
            Require(t.IsStatic && t.Rank > 0, $"{name} must have a static shape, got {t}");
            Require(t.DType is DType.F32 or DType.KV8 && t == KvCacheFormat.CacheType(t.DType, (int)t[0].Size, hkv, hd),
                $"{name} must be f32[positions, {hkv * hd}] or kv8[positions, {hkv}, {hd}], got {t}");
        }
        RequireSameDim(kc[0], vc[0], "cache lengths");
        Require(kc.DType == vc.DType, $"k_cache and v_cache must be stored alike, got {kc.DType.Name()} and {vc.DType.Name()}");
        return new TensorType(DType.F32, q.Shape);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var (q, k, v, pos, y) = (inputs[0].Floats, inputs[1].Floats, inputs[2].Floats, inputs[3].Ints, output.Floats);
        int hq = attrs.GetInt("n_heads"), hkv = attrs.GetInt("n_kv_heads"), hd = attrs.GetInt("head_dim");
        var (kc, vc) = (KvCacheView.Of(inputs[4], hkv, hd), KvCacheView.Of(inputs[5], hkv, hd));
        var scale = attrs.GetDouble("scale");
        int kvw = hkv * hd, ctx = inputs[4].Dim(0), group = hq / hkv;
        for (var r = 0; r < pos.Length; r++)
        {
            Require((uint)pos[r] < (uint)ctx, $"position {pos[r]} outside the KV cache of {ctx}");
            kc.Write(pos[r], k.AsSpan(r * kvw, kvw));
            vc.Write(pos[r], v.AsSpan(r * kvw, kvw));
        }
        var scores = new double[ctx];
        for (var r = 0; r < pos.Length; r++)
        {
            for (var h = 0; h < hq; h++)
            {
                int qo = r * hq * hd + h * hd, ko = h / group * hd;
                var max = double.NegativeInfinity;
                for (var t = 0; t <= pos[r]; t++)
                {
                    double dot = 0;
                    for (var i = 0; i < hd; i++) dot += (double)q[qo + i] * kc[t, ko + i];
                    scores[t] = dot * scale;
                    max = Math.Max(max, scores[t]);
                }
                double sum = 0;
                for (var t = 0; t <= pos[r]; t++) sum += scores[t] = Math.Exp(scores[t] - max);
                for (var i = 0; i < hd; i++)
                {
                    double acc = 0;
                    for (var t = 0; t <= pos[r]; t++) acc += scores[t] * vc[t, ko + i];
                    y[qo + i] = (float)(acc / sum);
                }
            }
        }
    }
}
