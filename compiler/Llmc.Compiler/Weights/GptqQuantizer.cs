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

    /// <summary>Each row's feedback stays within the row, so rows are packed in parallel, each in column order.</summary>
    public static byte[] Pack(float[] values, int n, int k, QuantFormat format, double[,] gram)
    {
        var w = (float[])values.Clone();
        var u = SpdMatrix.InverseCholeskyUpper(Damped(gram));
        var packed = new PackedMatrix(format, n, k);
        var g = format.GroupSize;
        Parallel.For(0, n, () => new int[g], (row, _, groupCodes) =>
        {
            var (scale, offset) = (0f, 0f);
            for (var j = 0; j < k; j++)
            {
                if (j % g == 0)
                {
                    (scale, offset) = GroupQuantizer.Choose(w.AsSpan(row * k + j, Math.Min(g, k - j)), groupCodes, format);
                    packed.SetGroup(row, j / g, scale, offset);
                }
                var code = GroupQuantizer.Round(w[row * k + j], scale, offset, format);
                packed.SetCode(row, j, code);
                var value = scale * code + (format.HasOffsets ? offset : -scale * format.ZeroCode);
                var error = (w[row * k + j] - value) / u[j, j];
                for (var later = j + 1; later < k; later++) w[row * k + later] -= (float)(error * u[j, later]);
            }
            return groupCodes;
        }, _ => { });
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
