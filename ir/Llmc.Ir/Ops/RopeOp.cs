namespace Llmc.Ir.Ops;

/// <summary>
/// <c>rope(x[r, H*hd], positions: i32[r], inv_freq[hd/2]) {head_dim} -> f32[r, H*hd]</c>:
/// rotary embedding in the rotate-half layout (pairs i and i + hd/2 of each head).
/// Frequency scaling (linear, llama3) is folded into <c>inv_freq</c> by the frontend.
/// </summary>
public sealed class RopeOp : OpDef
{
    public override string Name => "rope";

    public override int Arity => 3;

    public override TensorType InferType(IReadOnlyList<TensorType> inputs, Attributes attrs)
    {
        var (x, pos, freq) = (inputs[0], inputs[1], inputs[2]);
        RequireRank(x, 2, "x");
        RequireFloat(x, "x");
        RequireRank(pos, 1, "positions");
        RequireDType(pos, DType.I32, "positions");
        RequireSameDim(x[0], pos[0], "x rows and positions");
        RequireRank(freq, 1, "inv_freq");
        RequireDType(freq, DType.F32, "inv_freq");
        var hd = attrs.GetInt("head_dim");
        Require(hd > 0 && hd % 2 == 0, $"head_dim must be positive and even, got {hd}");
        Require(!x[1].IsSymbolic && x[1].Size % hd == 0, $"width {x[1]} is not a multiple of head_dim {hd}");
        Require(freq[0] == new Dim(hd / 2), $"inv_freq must have head_dim/2 = {hd / 2} entries, got {freq[0]}");
        return new TensorType(DType.F32, x.Shape);
    }

    public override void Evaluate(Attributes attrs, IReadOnlyList<HostTensor> inputs, HostTensor output)
    {
        var (x, pos, freq, y) = (inputs[0].Floats, inputs[1].Ints, inputs[2].Floats, output.Floats);
        var hd = attrs.GetInt("head_dim");
        int width = inputs[0].Dim(1), half = hd / 2;
        for (var r = 0; r < pos.Length; r++)
        {
            for (var h = 0; h < width / hd; h++)
            {
                var b = r * width + h * hd;
                for (var i = 0; i < half; i++)
                {
                    var angle = (double)pos[r] * freq[i];
                    double c = Math.Cos(angle), s = Math.Sin(angle);
                    double x0 = x[b + i], x1 = x[b + i + half];
                    y[b + i] = (float)(x0 * c - x1 * s);
                    y[b + i + half] = (float)(x1 * c + x0 * s);
                }
            }
        }
    }
}
