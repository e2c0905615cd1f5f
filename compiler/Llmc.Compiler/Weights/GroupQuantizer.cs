using System.Runtime.InteropServices;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>
/// Packs an f32 [N, K] matrix into a <see cref="QuantFormat"/>, group by group. q8 uses max-abs/127. The 4-bit
/// schemes search: for each candidate scale they round, refit the scale (and offset) by least squares for those
/// codes, and keep the candidate with the least squared reconstruction error of the group.
/// </summary>
public static class GroupQuantizer
{
    // Candidate divisors of the group's max-abs (q4) or multipliers of its range/15 (q4a) around the plain choice.
    private static readonly double[] Q4Divisors = [.. Enumerable.Range(0, 25).Select(i => 6.0 + i * 0.125)];
    private static readonly double[] Q4aStretches = [.. Enumerable.Range(0, 16).Select(i => 0.7 + i * 0.025)];

    public static byte[] Pack(ReadOnlySpan<float> values, int n, int k, QuantFormat format)
    {
        int groups = format.Groups(k), g = format.GroupSize, rowBytes = format.CodeRowBytes(k);
        var packed = new byte[format.PackedBytes(n, k)];
        var planeFloats = n * groups;
        var planes = MemoryMarshal.Cast<byte, float>(packed.AsSpan(0, planeFloats * sizeof(float) * (format.HasOffsets ? 2 : 1)));
        var codes = packed.AsSpan((int)format.CodesOffset(n, k));
        var groupCodes = new int[g];
        for (var row = 0; row < n; row++)
        {
            var rowCodes = codes.Slice(row * rowBytes, rowBytes);
            for (var group = 0; group < groups; group++)
            {
                var start = group * g;
                var v = values.Slice(row * k + start, Math.Min(g, k - start));
                // Padding past K holds the code of 0.0 (0 for q4a, whose offset need not be 0).
                Array.Fill(groupCodes, format.HasOffsets ? 0 : format.ZeroCode);
                var (scale, offset) = format.Scheme switch
                {
                    QuantScheme.Q8 => MaxAbs(v, groupCodes, format),
                    QuantScheme.Q4 => SearchSymmetric(v, groupCodes, format),
                    _ => SearchAsymmetric(v, groupCodes, format),
                };
                planes[row * groups + group] = scale;
                if (format.HasOffsets) planes[planeFloats + row * groups + group] = offset;
                for (var j = 0; j < g; j++) format.SetCode(rowCodes, start + j, groupCodes[j]);
            }
        }
        return packed;
    }

    private static (float Scale, float Offset) MaxAbs(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        var max = MaxAbs(v);
        var scale = max / (format.ZeroCode - 1);
        RoundSymmetric(v, scale, codes, format);
        return (scale, 0);
    }

    private static (float Scale, float Offset) SearchSymmetric(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        var max = MaxAbs(v);
        if (max == 0) return (0, 0);
        var trial = new int[v.Length];
        var (bestScale, bestError) = (0f, double.PositiveInfinity);
        foreach (var divisor in Q4Divisors)
        {
            RoundSymmetric(v, (float)(max / divisor), trial, format);
            double wq = 0, qq = 0;
            for (var i = 0; i < v.Length; i++)
            {
                var q = trial[i] - format.ZeroCode;
                (wq, qq) = (wq + (double)v[i] * q, qq + (double)q * q);
            }
            var scale = (float)(wq / qq);
            var error = 0.0;
            for (var i = 0; i < v.Length; i++) error += Square(v[i] - scale * (trial[i] - format.ZeroCode));
            if (error < bestError)
            {
                (bestScale, bestError) = (scale, error);
                trial.AsSpan().CopyTo(codes);
            }
        }
        return (bestScale, 0);
    }

    private static (float Scale, float Offset) SearchAsymmetric(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var x in v) (min, max) = (MathF.Min(min, x), MathF.Max(max, x));
        if (max == min) return (0, min);
        var trial = new int[v.Length];
        var (best, bestError) = ((Scale: 0f, Offset: min), double.PositiveInfinity);
        foreach (var stretch in Q4aStretches)
        {
            var scale = (max - min) / format.MaxCode / stretch;
            // Centre the shrunken range on the group's range.
            var offset = min + (max - min) * (1 - 1 / stretch) / 2;
            for (var i = 0; i < v.Length; i++) trial[i] = Math.Clamp((int)Math.Round((v[i] - offset) / scale), 0, format.MaxCode);
            var fit = FitAffine(v, trial);
            var error = 0.0;
            for (var i = 0; i < v.Length; i++) error += Square(v[i] - (fit.Scale * trial[i] + fit.Offset));
            if (error < bestError)
            {
                (best, bestError) = (fit, error);
                trial.AsSpan().CopyTo(codes);
            }
        }
        return best;
    }

    /// <summary>The least-squares scale and offset for fixed codes (the plain min/range when the codes are all equal).</summary>
    private static (float Scale, float Offset) FitAffine(ReadOnlySpan<float> v, int[] codes)
    {
        double sq = 0, sqq = 0, sw = 0, swq = 0;
        var count = v.Length;
        for (var i = 0; i < count; i++) (sq, sqq, sw, swq) = (sq + codes[i], sqq + (double)codes[i] * codes[i], sw + v[i], swq + (double)v[i] * codes[i]);
        var det = count * sqq - sq * sq;
        if (det == 0) return (0, (float)(sw / count));
        var scale = (count * swq - sq * sw) / det;
        return ((float)scale, (float)((sw - scale * sq) / count));
    }

    private static void RoundSymmetric(ReadOnlySpan<float> v, float scale, Span<int> codes, QuantFormat format)
    {
        var lowest = format.Scheme == QuantScheme.Q8 ? 1 : 0; // q8 keeps ±127 so the code range is symmetric
        for (var i = 0; i < v.Length; i++)
        {
            var q = scale == 0 ? 0 : (int)MathF.Round(v[i] / scale);
            codes[i] = Math.Clamp(q + format.ZeroCode, lowest, format.MaxCode);
        }
    }

    private static float MaxAbs(ReadOnlySpan<float> v)
    {
        var max = 0f;
        foreach (var x in v) max = MathF.Max(max, MathF.Abs(x));
        return max;
    }

    private static double Square(double d) => d * d;
}
