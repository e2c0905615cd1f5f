namespace Llmc.Compiler.Weights;

/// <summary>Dense symmetric positive-definite matrix algebra in float64, for the GPTQ error feedback.</summary>
public static class SpdMatrix
{
    /// <summary>The lower triangular L with L·Lᵀ = a.</summary>
    public static double[,] CholeskyLower(double[,] a)
    {
        var k = a.GetLength(0);
        var l = new double[k, k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var s = a[i, j];
                for (var p = 0; p < j; p++) s -= l[i, p] * l[j, p];
                if (i == j && s <= 0) throw new ArithmeticException($"matrix is not positive definite at row {i}");
                l[i, j] = i == j ? Math.Sqrt(s) : s / l[j, j];
            }
        }
        return l;
    }

    /// <summary>The upper triangular U with Uᵀ·U = a⁻¹: the rows GPTQ spreads each column's rounding error along.</summary>
    public static double[,] InverseCholeskyUpper(double[,] a)
    {
        var k = a.GetLength(0);
        var l = CholeskyLower(a);
        // a⁻¹ = L⁻ᵀ·L⁻¹; solve L·M = I column by column for M = L⁻¹ (lower triangular).
        var m = new double[k, k];
        for (var c = 0; c < k; c++)
        {
            for (var i = c; i < k; i++)
            {
                var s = i == c ? 1.0 : 0.0;
                for (var p = c; p < i; p++) s -= l[i, p] * m[p, c];
                m[i, c] = s / l[i, i];
            }
        }
        var inverse = new double[k, k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                double s = 0;
                for (var p = i; p < k; p++) s += m[p, i] * m[p, j];
                inverse[i, j] = inverse[j, i] = s;
            }
        }
        var lower = CholeskyLower(inverse);
        var upper = new double[k, k];
        for (var i = 0; i < k; i++)
            for (var j = i; j < k; j++) upper[i, j] = lower[j, i];
        return upper;
    }
}
