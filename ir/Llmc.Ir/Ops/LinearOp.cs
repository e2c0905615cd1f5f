namespace Llmc.Ir.Ops;

/// <summary><c>linear(x[r, K], w[N, K]) -> f32[r, N]</c>: y = x·wᵀ, weights in the HuggingFace [out, in] layout.</summary>
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
        RequireFloat(w, "w");
        RequireSameDim(x[1], w[1], "x width and w input width");
        return new TensorType(DType.F32, x[0], w[0]);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
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
}
