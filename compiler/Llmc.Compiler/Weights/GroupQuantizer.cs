using System.Runtime.Intrinsics;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>
/// Packs an f32 [N, K] matrix into a <see cref="QuantFormat"/>, group by group. q8 uses max-abs/127. The 4-bit
/// schemes search: for each candidate scale they round, refit the scale (and offset) by least squares for those
/// codes, and keep the candidate with the least squared reconstruction error of the group. Every scale and offset is
/// rounded to the format's scale type (<see cref="QuantFormat.StoredScale"/>) before codes or errors are computed
/// from it, so both are those of the values the engine holds.
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
        var scale = format.StoredScale(max / (format.ZeroCode - 1));
        RoundSymmetric(v, scale, codes, format);
        return (scale, 0);
    }

    /// <summary>The group's range in 255 even steps from its minimum: at 8 bits a search gains nothing worth its time.</summary>
    private static (float Scale, float Offset) MinMax(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var x in v) (min, max) = (MathF.Min(min, x), MathF.Max(max, x));
        var (scale, offset) = (format.StoredScale((max - min) / format.MaxCode), format.StoredScale(min));
        for (var i = 0; i < v.Length; i++) codes[i] = Round(v[i], scale, offset, format);
        return (scale, offset);
    }

    /// <summary>
    /// Tries every divisor of <see cref="Q4Divisors"/>: rounds with max-abs / divisor, refits the scale by least squares
    /// for those codes, and keeps the candidate with the least squared error (the first of equals). Eight candidates
    /// run side by side, one per vector lane, each with exactly the scalar arithmetic in the scalar order (float
    /// division and rounding, sums in double over the values in turn, no fused multiply-adds), so the result does not
    /// depend on the vector width; one candidate at a time, it was three quarters of a 1B q4 build.
    /// </summary>
    private static (float Scale, float Offset) SearchSymmetric(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        var max = MaxAbs(v);
        if (max == 0)
        {
            RoundSymmetric(v, 0, codes, format);
            return (0, 0);
        }
        const int lanes = Lanes;
        Span<int> trial = stackalloc int[v.Length * lanes];
        Span<float> scales = stackalloc float[lanes];
        var (zero, top) = (Vector256.Create(format.ZeroCode), Vector256.Create(format.MaxCode));
        var (bestScale, bestError) = (0f, double.PositiveInfinity);
        for (var first = 0; first < Q4Divisors.Length; first += lanes)
        {
            // Lanes past the last divisor repeat it; a repeat never beats its original (the first of equals wins).
            for (var c = 0; c < lanes; c++) scales[c] = (float)(max / Q4Divisors[Math.Min(first + c, Q4Divisors.Length - 1)]);
            var divisorScales = Vector256.Create<float>(scales);
            // A scale that underflowed to 0 (a group of subnormals) gives the zero code, as Round does.
            var underflow = Vector256.Equals(divisorScales, Vector256<float>.Zero).AsInt32();
            Vector256<double> wqLow = default, wqHigh = default;
            // Σ q² is a small integer, exact in any order, so it is summed as one.
            var qq = Vector256<int>.Zero;
            for (var i = 0; i < v.Length; i++)
            {
                var code = Vector256.ConditionalSelect(underflow, zero,
                    Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.Create(v[i]) / divisorScales)) + zero, Vector256<int>.Zero), top));
                code.CopyTo(trial.Slice(i * lanes, lanes));
                var centred = code - zero;
                qq += centred * centred;
                var (qLow, qHigh) = Vector256.Widen(Vector256.ConvertToSingle(centred));
                var value = Vector256.Create((double)v[i]);
                (wqLow, wqHigh) = (wqLow + value * qLow, wqHigh + value * qHigh);
            }
            var (qqLow, qqHigh) = Vector256.Widen(Vector256.ConvertToSingle(qq));
            var fitted = Stored(Vector256.Narrow(wqLow / qqLow, wqHigh / qqHigh), format);
            Vector256<double> errorLow = default, errorHigh = default;
            for (var i = 0; i < v.Length; i++)
            {
                var q = Vector256.ConvertToSingle(Vector256.Create<int>(trial.Slice(i * lanes, lanes)) - zero);
                var (dLow, dHigh) = Vector256.Widen(Vector256.Create(v[i]) - fitted * q);
                (errorLow, errorHigh) = (errorLow + dLow * dLow, errorHigh + dHigh * dHigh);
            }
            if (BestLane(errorLow, errorHigh, Q4Divisors.Length - first, trial, codes, ref bestError) is var lane and >= 0) bestScale = fitted[lane];
        }
        // Every candidate scale underflowed (a group of a few subnormal ulps): all codes 0.0, no refit.
        if (double.IsPositiveInfinity(bestError)) RoundSymmetric(v, 0, codes, format);
        return (bestScale, 0);
    }

    /// <summary>Candidates side by side: one per lane of a <see cref="Vector256{T}"/> of floats.</summary>
    private const int Lanes = 8;

    /// <summary>
    /// The first of the batch's <paramref name="candidates"/> lanes (at most <see cref="Lanes"/>) whose squared error
    /// (<paramref name="errorLow"/>, <paramref name="errorHigh"/>) is below <paramref name="bestError"/> and every
    /// earlier lane's, with its codes (lane c of <paramref name="trial"/>'s rows) copied out; −1 when none is.
    /// </summary>
    private static int BestLane(Vector256<double> errorLow, Vector256<double> errorHigh, int candidates, ReadOnlySpan<int> trial, int[] codes, ref double bestError)
    {
        var best = -1;
        for (var c = 0; c < Math.Min(candidates, Lanes); c++)
        {
            var error = c < Lanes / 2 ? errorLow[c] : errorHigh[c - Lanes / 2];
            if (error < bestError) (best, bestError) = (c, error);
        }
        if (best < 0) return best;
        for (var i = 0; i < trial.Length / Lanes; i++) codes[i] = trial[i * Lanes + best];
        return best;
    }

    /// <summary>
    /// Tries every stretch of <see cref="Q4aStretches"/>: rounds with the range shrunk by it around its centre, refits
    /// scale and offset by least squares for those codes, and keeps the candidate with the least squared error (the
    /// first of equals). Like <see cref="SearchSymmetric"/>, eight candidates run side by side with the scalar
    /// arithmetic in the scalar order.
    /// </summary>
    private static (float Scale, float Offset) SearchAsymmetric(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var x in v) (min, max) = (MathF.Min(min, x), MathF.Max(max, x));
        if (max == min)
        {
            codes.AsSpan(0, v.Length).Clear();
            return (0, format.StoredScale(min));
        }
        const int lanes = Lanes;
        Span<int> trial = stackalloc int[v.Length * lanes];
        Span<float> scales = stackalloc float[lanes], offsets = stackalloc float[lanes];
        double sw = 0;
        foreach (var x in v) sw += x;
        var count = Vector256.Create((double)v.Length);
        var top = Vector256.Create(format.MaxCode);
        var (best, bestError) = ((Scale: 0f, Offset: min), double.PositiveInfinity);
        for (var first = 0; first < Q4aStretches.Length; first += lanes)
        {
            // Lanes past the last stretch repeat it; a repeat never beats its original.
            for (var c = 0; c < lanes; c++)
            {
                var stretch = Q4aStretches[Math.Min(first + c, Q4aStretches.Length - 1)];
                scales[c] = (float)((max - min) / format.MaxCode / stretch);
                // Centre the shrunken range on the group's range.
                offsets[c] = (float)(min + (max - min) * (1 - 1 / stretch) / 2);
            }
            var (scale, offset) = (Vector256.Create<float>(scales), Vector256.Create<float>(offsets));
            var underflow = Vector256.Equals(scale, Vector256<float>.Zero).AsInt32(); // code 0, as Round gives
            Vector256<double> swqLow = default, swqHigh = default;
            Vector256<int> sq = default, sqq = default; // small integers: exact in any order
            for (var i = 0; i < v.Length; i++)
            {
                var code = Vector256.ConditionalSelect(underflow, Vector256<int>.Zero,
                    Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round((Vector256.Create(v[i]) - offset) / scale)), Vector256<int>.Zero), top));
                code.CopyTo(trial.Slice(i * lanes, lanes));
                (sq, sqq) = (sq + code, sqq + code * code);
                var (qLow, qHigh) = Vector256.Widen(Vector256.ConvertToSingle(code));
                var value = Vector256.Create((double)v[i]);
                (swqLow, swqHigh) = (swqLow + value * qLow, swqHigh + value * qHigh);
            }
            var (fitScale, fitOffset) = FitAffine(sw, count, sq, sqq, swqLow, swqHigh);
            (fitScale, fitOffset) = (Stored(fitScale, format), Stored(fitOffset, format));
            Vector256<double> errorLow = default, errorHigh = default;
            for (var i = 0; i < v.Length; i++)
            {
                var q = Vector256.ConvertToSingle(Vector256.Create<int>(trial.Slice(i * lanes, lanes)));
                var (dLow, dHigh) = Vector256.Widen(Vector256.Create(v[i]) - (fitScale * q + fitOffset));
                (errorLow, errorHigh) = (errorLow + dLow * dLow, errorHigh + dHigh * dHigh);
            }
            if (BestLane(errorLow, errorHigh, Q4aStretches.Length - first, trial, codes, ref bestError) is var lane and >= 0)
                best = (fitScale[lane], fitOffset[lane]);
        }
        return best;
    }

    /// <summary>
    /// Per lane, the least-squares scale and offset for fixed codes (the group's mean as offset, scale 0, when the codes
    /// are all equal), from the sums over the group: Σw, the count, Σq, Σq² and Σw·q.
    /// </summary>
    private static (Vector256<float> Scale, Vector256<float> Offset) FitAffine(double sw, Vector256<double> count, Vector256<int> sq, Vector256<int> sqq,
        Vector256<double> swqLow, Vector256<double> swqHigh)
    {
        var (sqLow, sqHigh) = Vector256.Widen(Vector256.ConvertToSingle(sq));
        var (sqqLow, sqqHigh) = Vector256.Widen(Vector256.ConvertToSingle(sqq));
        var sumW = Vector256.Create(sw);
        (Vector256<double> Scale, Vector256<double> Offset) Half(Vector256<double> sqHalf, Vector256<double> sqqHalf, Vector256<double> swqHalf)
        {
            var det = count * sqqHalf - sqHalf * sqHalf;
            var scale = (count * swqHalf - sqHalf * sumW) / det;
            var flat = Vector256.Equals(det, Vector256<double>.Zero);
            return (Vector256.ConditionalSelect(flat, Vector256<double>.Zero, scale),
                Vector256.ConditionalSelect(flat, sumW / count, (sumW - scale * sqHalf) / count));
        }
        var (low, high) = (Half(sqLow, sqqLow, swqLow), Half(sqHigh, sqqHigh, swqHigh));
        return (Vector256.Narrow(low.Scale, high.Scale), Vector256.Narrow(low.Offset, high.Offset));
    }

    /// <summary>Each lane as <see cref="QuantFormat.StoredScale"/> rounds it.</summary>
    private static Vector256<float> Stored(Vector256<float> values, QuantFormat format)
    {
        Span<float> lanes = stackalloc float[Lanes];
        for (var c = 0; c < Lanes; c++) lanes[c] = format.StoredScale(values[c]);
        return Vector256.Create<float>(lanes);
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
}
