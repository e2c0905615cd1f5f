namespace Llmc.Ir.Ops;

/// <summary>
/// <c>rms_norm(x[r, G·D], weight[D]) {eps} -> f32[r, G·D]</c>: x / sqrt(mean(x²) + eps) * weight over each run of D
/// elements of a row: the whole row (G = 1), or each of its G heads (Qwen3's and Gemma 3's q/k norms, G > 1).
/// </summary>
public sealed class RmsNormOp : OpDef
{
    public override string Name => "rms_norm";

    public override int Arity => 2;

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var (x, w) = (inputs[0], inputs[1]);
        RequireRank(x, 2, "x");
        RequireFloat(x, "x");
        RequireRank(w, 1, "weight");
        RequireFloat(w, "weight");
        Require(!x[1].IsSymbolic && !w[0].IsSymbolic && x[1].Size % w[0].Size == 0,
            $"x width must be a multiple of the weight length, got {x[1]} and {w[0]}");
        Require(attrs.GetDouble("eps") > 0, "eps must be positive");
        return new TensorType(DType.F32, x.Shape);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var (x, w, y) = (inputs[0].Floats, inputs[1].Floats, output.Floats);
        var eps = attrs.GetDouble("eps");
        var d = w.Length;
        for (var r = 0; r < x.Length / d; r++)
        {
            double ss = 0;
            for (var i = 0; i < d; i++) ss += (double)x[r * d + i] * x[r * d + i];
            var inv = 1.0 / Math.Sqrt(ss / d + eps);
            for (var i = 0; i < d; i++) y[r * d + i] = (float)(x[r * d + i] * inv * w[i]);
        }
    }
}
