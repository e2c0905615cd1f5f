using Llmc.Ir.Quantization;

namespace Llmc.Ir.Ops;

/// <summary>
/// <c>linear(x[r, K], w[N, K]) -> f32[r, N]</c>: y = x·wᵀ, weights in the HuggingFace [out, in] layout. With a
/// quantized w, x is rounded to int8 per weight group first (<see cref="ActivationQuantization"/>), so
/// y = Σ_groups Σ_k (scale·code + offset)·(x_scale·x_code): what the kernels compute with integer dot products.
/// </summary>
public sealed class LinearOp : OpDef
{
    public override string Name => "linear";

    public override int Arity => 2;

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var (x, w) = (inputs[0], inputs[1]);
        RequireRank(x, 2, "x");
        RequireFloat(x, "x");
        RequireRank(w, 2, "w");
        Require(w.DType.IsFloat() || w.DType.IsQuantized(), $"w must be a float or quantized tensor, got {w}");
        RequireSameDim(x[1], w[1], "x width and w input width");
        return new TensorType(DType.F32, x[0], w[0]);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        if (inputs[1].DType.IsQuantized())
        {
            EvaluateQuantized(inputs[0], inputs[1], output);
            return;
        }
        var (x, w, y) = (inputs[0].Floats, inputs[1].Floats, output.Floats);
        int k = inputs[1].Dim(1), n = inputs[1].Dim(0), rows = inputs[0].Rows;
        for (var r = 0; r < rows; r++)
        {
            for (var o = 0; o < n; o++)
            {
                double acc = 0;
                for (var i = 0; i < k; i++) acc += (double)x[r * k + i] * w[(long)o * k + i];
                y[r * n + o] = (float)acc;
            }
        }
    }

    private static void EvaluateQuantized(HostTensor xt, HostTensor wt, HostTensor output)
    {
        var format = QuantFormat.Of(wt.DType);
        int k = wt.Dim(1), n = wt.Dim(0), rows = xt.Rows, groups = format.Groups(k), g = format.GroupSize;
        var weights = format.View(wt.Packed, n, k);
        var codes = new int[k];
        var scales = new float[groups];
        var sums = new int[groups];
        for (var r = 0; r < rows; r++)
        {
            var row = xt.Floats.AsSpan(r * k, k);
            for (var group = 0; group < groups; group++)
            {
                var (start, end) = (group * g, Math.Min(k, group * g + g));
                (scales[group], sums[group]) = ActivationQuantization.QuantizeGroup(row[start..end], codes.AsSpan(start, end - start));
            }
            for (var o = 0; o < n; o++)
            {
                double acc = 0;
                for (var group = 0; group < groups; group++)
                {
                    long dot = 0;
                    for (var i = group * g; i < Math.Min(k, group * g + g); i++) dot += (long)weights.Code(o, i) * codes[i];
                    acc += (double)scales[group] * ((double)weights.Scale(o, group) * dot + (double)weights.Offset(o, group) * sums[group]);
                }
                output.Floats[r * n + o] = (float)acc;
            }
        }
    }
}
