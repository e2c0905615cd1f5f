using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>
/// Packs an f32 [N, K] matrix with GPTQ's error feedback (Frantar et al., 2022): columns are rounded left to right,
/// and each column's rounding error is spread over the columns not yet rounded, weighted by the inverse of the
/// inputs' Gram matrix H = Σ x·xᵀ, so the layer's output error on inputs like the calibration ones is what is
/// minimised rather than the weights' own error. Each group's scale (and offset) is chosen by the same search as
/// <see cref="GroupQuantizer"/> when the feedback reaches the group's first column.
/// </summary>
public static class GptqQuantizer
{
    // Added to H's diagonal as a fraction of its mean: keeps H invertible and the feedback from overshooting.
    private const double Damping = 0.01;

    public static byte[] Pack(ReadOnlySpan<float> values, int n, int k, QuantFormat format, double[,] gram)
    {
        var w = values.ToArray();
        var u = SpdMatrix.InverseCholeskyUpper(Damped(gram));
        var packed = new PackedMatrix(format, n, k);
        var (g, groupCodes) = (format.GroupSize, new int[format.GroupSize]);
        var (scales, offsets) = (new float[n], new float[n]);
        for (var j = 0; j < k; j++)
        {
            if (j % g == 0)
            {
                for (var row = 0; row < n; row++)
                {
                    (scales[row], offsets[row]) = GroupQuantizer.Choose(w.AsSpan(row * k + j, Math.Min(g, k - j)), groupCodes, format);
                    packed.SetGroup(row, j / g, scales[row], offsets[row]);
                }
            }
            for (var row = 0; row < n; row++)
            {
                var code = GroupQuantizer.Round(w[row * k + j], scales[row], offsets[row], format);
                packed.SetCode(row, j, code);
                var value = scales[row] * code + (format.HasOffsets ? offsets[row] : -scales[row] * format.ZeroCode);
                var error = (w[row * k + j] - value) / u[j, j];
                for (var later = j + 1; later < k; later++) w[row * k + later] -= (float)(error * u[j, later]);
            }
        }
        return packed.Bytes;
    }

    /// <summary>H plus damping; an input that never varied (zero diagonal) gets a unit diagonal and no feedback.</summary>
    private static double[,] Damped(double[,] gram)
    {
        var k = gram.GetLength(0);
        var h = (double[,])gram.Clone();
        var mean = Enumerable.Range(0, k).Average(i => h[i, i]);
        for (var i = 0; i < k; i++) h[i, i] = h[i, i] == 0 ? 1 : h[i, i] + Damping * mean;
        return h;
    }
}
