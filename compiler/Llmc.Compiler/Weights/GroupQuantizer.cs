using System.Runtime.Intrinsics;
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

    /// <summary>Rows are independent, so they are packed in parallel: the same bytes as one row after another.</summary>
    public static byte[] Pack(float[] values, int n, int k, QuantFormat format)
    {
        var packed = new PackedMatrix(format, n, k);
        Parallel.For(0, n, () => new int[format.GroupSize], (row, _, groupCodes) =>
        {
            for (var group = 0; group < packed.Groups; group++)
            {
                var start = group * format.GroupSize;
                var v = values.AsSpan(row * k + start, Math.Min(format.GroupSize, k - start));
                var (scale, offset) = Choose(v, groupCodes, format);
                packed.SetGroup(row, group, scale, offset);
                for (var j = 0; j < v.Length; j++) packed.SetCode(row, start + j, groupCodes[j]);
            }
            return groupCodes;
        }, _ => { });
        return packed.Bytes;
    }

    /// <summary>The scale and offset of one group (of at most the group size), with its codes in <paramref name="codes"/>.</summary>
    public static (float Scale, float Offset) Choose(ReadOnlySpan<float> v, int[] codes, QuantFormat format) => format.Scheme switch
    {
        QuantScheme.Q8 => MaxAbs(v, codes, format),
        QuantScheme.Q4 => SearchSymmetric(v, codes, format),
        QuantScheme.Q8A => MinMax(v, codes, format),
        _ => SearchAsymmetric(v, codes, format),
    };

    /// <summary>
    /// The nearest code of <paramref name="value"/> for a group's scale and offset (the symmetric schemes ignore the
    /// offset: theirs is −scale·ZeroCode); the code of 0.0 when the scale is 0.
    /// </summary>
    public static int Round(float value, float scale, float offset, QuantFormat format)
    {
        if (scale == 0) return format.HasOffsets ? 0 : format.ZeroCode;
        if (format.HasOffsets) return Math.Clamp((int)MathF.Round((value - offset) / scale), 0, format.MaxCode);
        var lowest = format.Scheme == QuantScheme.Q8 ? 1 : 0; // q8 keeps ±127 so the code range is symmetric
        return Math.Clamp((int)MathF.Round(value / scale) + format.ZeroCode, lowest, format.MaxCode);
    }

    private static (float Scale, float Offset) MaxAbs(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        var max = MaxAbs(v);
        var scale = max / (format.ZeroCode - 1);
        RoundSymmetric(v, scale, codes, format);
        return (scale, 0);
    }

    /// <summary>The group's range in 255 even steps from its minimum: at 8 bits a search gains nothing worth its time.</summary>
    private static (float Scale, float Offset) MinMax(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var x in v) (min, max) = (MathF.Min(min, x), MathF.Max(max, x));
        var scale = (max - min) / format.MaxCode;
        for (var i = 0; i < v.Length; i++) codes[i] = Round(v[i], scale, min, format);
        return (scale, min);
    }

    /// <summary>
    /// Tries every divisor of <see cref="Q4Divisors"/>: rounds with max-abs / divisor, refits the scale by least squares
    /// for those codes, and keeps the candidate with the least squared error (the first of equals). Eight candidates
    /// run side by side, one per vector lane, each with exactly the scalar arithmetic in the scalar order (float
    /// division and rounding, sums in double over the values in turn, no fused multiply-adds), so the result does not
    /// depend on the vector width; it was a third of a 1B q4 build as one candidate at a time.
    /// </summary>
    private static (float Scale, float Offset) SearchSymmetric(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        var max = MaxAbs(v);
        if (max == 0)
        {
            RoundSymmetric(v, 0, codes, format);
            return (0, 0);
        }
        const int lanes = 8;
        Span<int> trial = stackalloc int[v.Length * lanes];
        Span<float> scales = stackalloc float[lanes];
        Span<double> errors = stackalloc double[lanes];
        var (zero, top) = (Vector256.Create(format.ZeroCode), Vector256.Create(format.MaxCode));
        var (bestScale, bestError) = (0f, double.PositiveInfinity);
        for (var first = 0; first < Q4Divisors.Length; first += lanes)
        {
            // Lanes past the last divisor repeat it; a repeat never beats its original (the first of equals wins).
            for (var c = 0; c < lanes; c++) scales[c] = (float)(max / Q4Divisors[Math.Min(first + c, Q4Divisors.Length - 1)]);
            var divisorScales = Vector256.Create<float>(scales);
            Vector256<double> wqLow = default, wqHigh = default;
            // Σ q² is a small integer, exact in any order, so it is summed as one.
            var qq = Vector256<int>.Zero;
            for (var i = 0; i < v.Length; i++)
            {
                var code = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.Create(v[i]) / divisorScales)) + zero, Vector256<int>.Zero), top);
                code.CopyTo(trial.Slice(i * lanes, lanes));
                var centred = code - zero;
                qq += centred * centred;
                var (qLow, qHigh) = Vector256.Widen(Vector256.ConvertToSingle(centred));
                var value = Vector256.Create((double)v[i]);
                (wqLow, wqHigh) = (wqLow + value * qLow, wqHigh + value * qHigh);
            }
            var (qqLow, qqHigh) = Vector256.Widen(Vector256.ConvertToSingle(qq));
            var fitted = Vector256.Narrow(wqLow / qqLow, wqHigh / qqHigh);
            Vector256<double> errorLow = default, errorHigh = default;
            for (var i = 0; i < v.Length; i++)
            {
                var q = Vector256.ConvertToSingle(Vector256.Create<int>(trial.Slice(i * lanes, lanes)) - zero);
                var (dLow, dHigh) = Vector256.Widen(Vector256.Create(v[i]) - fitted * q);
                (errorLow, errorHigh) = (errorLow + dLow * dLow, errorHigh + dHigh * dHigh);
            }
            errorLow.CopyTo(errors);
            errorHigh.CopyTo(errors[(lanes / 2)..]);
            for (var c = 0; c < lanes && first + c < Q4Divisors.Length; c++)
            {
                if (!(errors[c] < bestError)) continue;
                (bestScale, bestError) = (fitted[c], errors[c]);
                for (var i = 0; i < v.Length; i++) codes[i] = trial[i * lanes + c];
            }
        }
        return (bestScale, 0);
    }

    private static (float Scale, float Offset) SearchAsymmetric(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var x in v) (min, max) = (MathF.Min(min, x), MathF.Max(max, x));
        if (max == min)
        {
            codes.AsSpan(0, v.Length).Clear();
            return (0, min);
        }
        var trial = new int[v.Length];
        var (best, bestError) = ((Scale: 0f, Offset: min), double.PositiveInfinity);
        foreach (var stretch in Q4aStretches)
        {
            var scale = (max - min) / format.MaxCode / stretch;
            // Centre the shrunken range on the group's range.
            var offset = min + (max - min) * (1 - 1 / stretch) / 2;
            for (var i = 0; i < v.Length; i++) trial[i] = Round(v[i], (float)scale, (float)offset, format);
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
        for (var i = 0; i < v.Length; i++) codes[i] = Round(v[i], scale, 0, format);
    }

    private static float MaxAbs(ReadOnlySpan<float> v)
    {
        var max = 0f;
        foreach (var x in v) max = MathF.Max(max, MathF.Abs(x));
        return max;
    }

    private static double Square(double d) => d * d;
}
