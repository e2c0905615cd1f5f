using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>
/// Packs an f32 [N, K] matrix into a <see cref="QuantFormat"/>, group by group. q8 uses max-abs/127. The 4- and
/// 6-bit schemes search: for each candidate scale they round, refit the scale (and offset) by least squares for those
/// codes, and keep the candidate with the least squared reconstruction error of the group. Every scale and offset is
/// rounded to the format's scale type (<see cref="QuantFormat.StoredScale"/>) before codes or errors are computed
/// from it, so both are those of the values the engine holds.
/// </summary>
public static class GroupQuantizer
{
    // Candidates around the plain choice: divisors of the group's max-abs (q4, q6) or multipliers of its range/15 (q4a).
    private const int SymmetricCandidates = 25;
    private static readonly double[] Q4aStretches = [.. Enumerable.Range(0, 16).Select(i => 0.7 + i * 0.025)];

    /// <summary>Rows are independent, so they are packed in parallel: the same bytes as one row after another.</summary>
    public static byte[] Pack(float[] values, int n, int k, QuantFormat format) =>
        Pack((first, destination) => values.AsSpan(first * k, destination.Length).CopyTo(destination), n, k, format);

    /// <summary>Reads rows <c>first</c> onwards as f32 into a buffer of whole rows.</summary>
    public delegate void RowReader(int first, Span<float> destination);

    /// <summary>
    /// The matrix whose rows <paramref name="readRows"/> gives, packed <see cref="RowsPerBlock"/> rows at a time in
    /// parallel through one f32 buffer per thread, so no f32 copy of the whole matrix is made.
    /// </summary>
    public static byte[] Pack(RowReader readRows, int n, int k, QuantFormat format)
    {
        var packed = new PackedMatrix(format, n, k);
        var blocks = (n + RowsPerBlock - 1) / RowsPerBlock;
        Parallel.For(0, blocks, () => (Rows: new float[RowsPerBlock * k], Codes: new int[format.GroupSize]), (block, _, buffers) =>
        {
            var first = block * RowsPerBlock;
            var rows = Math.Min(RowsPerBlock, n - first);
            var values = buffers.Rows.AsSpan(0, rows * k);
            readRows(first, values);
            for (var r = 0; r < rows; r++) PackRow(values.Slice(r * k, k), first + r, packed, buffers.Codes, format);
            return buffers;
        }, _ => { });
        return packed.Bytes;
    }

    /// <summary>Rows read and packed at a time: a 2,048-wide block is 64 KB of f32, which stays in a core's L2.</summary>
    private const int RowsPerBlock = 8;

    // The quantizers are compiled optimized at once: the JIT promotes a hot method only after a spell in which no new
    // method was compiled, a build keeps compiling new ones, and perf found them running unoptimized for much of it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRow(ReadOnlySpan<float> row, int index, PackedMatrix packed, int[] groupCodes, QuantFormat format)
    {
        for (var group = 0; group < packed.Groups; group++)
        {
            var start = group * format.GroupSize;
            var v = row.Slice(start, Math.Min(format.GroupSize, row.Length - start));
            var (scale, offset) = Choose(v, groupCodes, format);
            packed.SetGroup(index, group, scale, offset);
            packed.SetCodes(index, start, groupCodes.AsSpan(0, v.Length));
        }
    }

    /// <summary>The scale and offset of one group (of at most the group size), with its codes in <paramref name="codes"/>.</summary>
    public static (float Scale, float Offset) Choose(ReadOnlySpan<float> v, int[] codes, QuantFormat format) => format.Scheme switch
    {
        QuantScheme.Q8 => MaxAbs(v, codes, format),
        QuantScheme.Q4 or QuantScheme.Q6 => SearchSymmetric(v, codes, format),
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float Scale, float Offset) MaxAbs(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        var max = MaxAbs(v);
        var scale = format.StoredScale(max / (format.ZeroCode - 1));
        RoundSymmetric(v, scale, codes, format);
        return (scale, 0);
    }

    /// <summary>The group's range in 255 even steps from its minimum: at 8 bits a search gains nothing worth its time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float Scale, float Offset) MinMax(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var x in v) (min, max) = (MathF.Min(min, x), MathF.Max(max, x));
        var (scale, offset) = (format.StoredScale((max - min) / format.MaxCode), format.StoredScale(min));
        for (var i = 0; i < v.Length; i++) codes[i] = Round(v[i], scale, offset, format);
        return (scale, offset);
    }

    /// <summary>
    /// Tries divisors d of <see cref="SymmetricDivisor"/> (<see cref="FirstPass"/>) on the group, negated when its
    /// largest magnitude is positive (the scale is then negative): rounds the values times d / max-abs,
    /// refits the scale f by least squares for those codes q, and keeps the candidate with the least squared error (the
    /// first tried of equals), compared as f²·Σq² − 2f·Σw·q (the error less Σw², the same for every candidate). Both
    /// sums are exact in any order: Σq² is a small integer, and a value with a nonzero code is at least about max-abs /
    /// 18 (q4; q6: / 72), so every w·q is a multiple of that value's ulp and the sum spans under 43 bits of a double's
    /// 53. So the values go eight to a vector and <see cref="CandidatesAtOnce"/> candidates are summed side by side
    /// (four independent chains of adds, each value loaded once for them), with no second pass for the error, and the
    /// choice is that of the scalar definition.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float Scale, float Offset) SearchSymmetric(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        var vectors = (v.Length + Lanes - 1) / Lanes;
        // Zero padding rounds to code 0.0, which adds nothing to either sum (nor moves the extremes past 0).
        Span<float> padded = stackalloc float[vectors * Lanes];
        padded.Clear();
        v.CopyTo(padded);
        Span<Vector256<float>> values = stackalloc Vector256<float>[vectors];
        var (highest, lowest) = (Vector256<float>.Zero, Vector256<float>.Zero);
        for (var i = 0; i < vectors; i++)
        {
            values[i] = Vector256.Create<float>(padded.Slice(i * Lanes, Lanes));
            (highest, lowest) = (Vector256.Max(highest, values[i]), Vector256.Min(lowest, values[i]));
        }
        var (top, bottom) = (0f, 0f);
        for (var l = 0; l < Lanes; l++) (top, bottom) = (MathF.Max(top, highest[l]), MathF.Min(bottom, lowest[l]));
        // The codes reach one step further below zero (−8 … 7 for q4) than above, so a group whose largest magnitude is
        // positive is searched negated and gets a negative scale: its extreme then lands on the extra step, as
        // llama.cpp's Q4_0 places it. Gaussian groups lose 11 % of their squared error this way (docs/quantization.md).
        var negated = top > -bottom;
        var max = MathF.Max(top, -bottom);
        Span<Vector256<double>> wide = stackalloc Vector256<double>[2 * vectors];
        for (var i = 0; i < vectors; i++)
        {
            if (negated) values[i] = -values[i];
            (wide[2 * i], wide[2 * i + 1]) = Vector256.Widen(values[i]);
        }
        var search = new SymmetricSearch(format, max);
        var (count, step) = FirstPass(format);
        // Slots past the last candidate repeat it; a repeat never beats its original.
        Span<int> candidates = stackalloc int[MaxCandidateSlots];
        var slots = (count + CandidatesAtOnce - 1) / CandidatesAtOnce * CandidatesAtOnce;
        for (var c = 0; c < slots; c++) candidates[c] = Math.Min(c, count - 1) * step;
        search.Try(candidates[..slots], values, wide);
        if (step > 1 && search.Best >= 0)
        {
            // The neighbours less than a step from the best: the two below it, then the two above (repeats past the ends).
            var best = search.Best;
            for (var c = 0; c < CandidatesAtOnce; c++)
                candidates[c] = Math.Clamp(best + (c < CandidatesAtOnce / 2 ? c - CandidatesAtOnce / 2 : c - CandidatesAtOnce / 2 + 1), 0, SymmetricCandidates - 1);
            search.Try(candidates[..CandidatesAtOnce], values, wide);
        }
        // The chosen candidate's codes: the values times its multiplier, rounded to even, clamped, offset by the zero
        // code; those of the zero padding past the group are never stored. With no finite multiplier they are all 0.0.
        var (times, zero) = (Vector256.Create(search.BestMultiplier), Vector256.Create(format.ZeroCode));
        for (var i = 0; i < vectors; i++)
        {
            var rounded = Vector256.MinNative(Vector256.MaxNative(Vector256.Round(values[i] * times), search.Lowest), search.Highest);
            (Vector256.ConvertToInt32(rounded) + zero).CopyTo(codes.AsSpan(i * Lanes));
        }
        return (negated ? -search.BestScale : search.BestScale, 0);
    }

    /// <summary>
    /// The symmetric search's first pass over its 25 divisors, from the first: how many, and their stride. When the
    /// stride is over 1 the best is then compared with the two divisors either side of it. q4 tries every third and
    /// then those four, 13 in all: on Gaussian groups that chose as all 25 do in 98.5 % of groups, at 0.02 % more
    /// squared error. A q6 group's error changes more from one divisor to the next (every third: 1-3 % more error), so
    /// q6 tries them in turn, but only 0 … 19: with its extreme oriented onto code −32, a divisor over 32.5 (19 … 24)
    /// only clips that extreme further: in 240,000 Gaussian, Laplace and uniform groups of 32, 64 and 128, divisors
    /// 0 … 19 chose as all 25 in all but 12 (groups of 128 whose best was 20, at no measurable error).
    /// </summary>
    public static (int Count, int Step) FirstPass(QuantFormat format) => format.Scheme == QuantScheme.Q4 ? (9, 3) : (20, 1);

    /// <summary>Candidates of the symmetric search whose sums are taken in one pass over a group.</summary>
    private const int CandidatesAtOnce = 4;

    /// <summary>Slots for the candidates of one pass of the search, in whole batches of four: q6's 20.</summary>
    private const int MaxCandidateSlots = 20;

    /// <summary>The symmetric search's best candidate so far, and its trial of four candidates at a time.</summary>
    private struct SymmetricSearch(QuantFormat format, float max)
    {
        public readonly Vector256<float> Lowest = Vector256.Create((float)-format.ZeroCode);
        public readonly Vector256<float> Highest = Vector256.Create((float)(format.MaxCode - format.ZeroCode));
        public int Best = -1;
        public float BestScale;
        public float BestMultiplier;
        private double _bestError = double.PositiveInfinity;

        /// <summary>
        /// <paramref name="candidates"/> (four at a time), in order, against the best so far. All are summed before any
        /// is scored: a score is a chain of dependent steps (sums across lanes, a division, rounding, products) that
        /// the core overlaps with the other scores' only when no summing loop sits between them.
        /// </summary>
        public void Try(ReadOnlySpan<int> candidates, ReadOnlySpan<Vector256<float>> values, ReadOnlySpan<Vector256<double>> wide)
        {
            var batches = candidates.Length / CandidatesAtOnce;
            Span<Vector128<float>> multipliers = stackalloc Vector128<float>[MaxCandidateSlots / CandidatesAtOnce];
            Span<Vector256<double>> sumsQq = stackalloc Vector256<double>[MaxCandidateSlots / CandidatesAtOnce];
            Span<Vector256<double>> sumsWq = stackalloc Vector256<double>[MaxCandidateSlots / CandidatesAtOnce];
            for (var b = 0; b < batches; b++)
                (multipliers[b], sumsQq[b], sumsWq[b]) = Sums(candidates.Slice(b * CandidatesAtOnce, CandidatesAtOnce), values, wide);
            for (var b = 0; b < batches; b++)
                Score(candidates.Slice(b * CandidatesAtOnce, CandidatesAtOnce), multipliers[b], sumsQq[b], sumsWq[b]);
        }

        /// <summary>Four candidates' multipliers of the values and their sums Σq² and Σw·q.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly (Vector128<float> Multipliers, Vector256<double> SumQq, Vector256<double> SumWq) Sums(ReadOnlySpan<int> batch,
            ReadOnlySpan<Vector256<float>> values, ReadOnlySpan<Vector256<double>> wide)
        {
            // The multipliers of the values: divisor / max-abs in double, rounded to float.
            var divisors = Vector256.Create(SymmetricDivisor(format, batch[0]), SymmetricDivisor(format, batch[1]),
                SymmetricDivisor(format, batch[2]), SymmetricDivisor(format, batch[3]));
            var multipliers = Vector256.Narrow(divisors / Vector256.Create((double)max), Vector256<double>.Zero).GetLower();
            var (times0, times1, times2, times3) = (Vector256.Create(multipliers[0]), Vector256.Create(multipliers[1]),
                Vector256.Create(multipliers[2]), Vector256.Create(multipliers[3]));
            (Vector256<float> Qq, Vector256<double> Wq) sums0 = default, sums1 = default, sums2 = default, sums3 = default;
            for (var i = 0; i < values.Length; i++)
            {
                var (value, low, high) = (values[i], wide[2 * i], wide[2 * i + 1]);
                sums0 = AddCandidateSums(value, low, high, times0, Lowest, Highest, sums0);
                sums1 = AddCandidateSums(value, low, high, times1, Lowest, Highest, sums1);
                sums2 = AddCandidateSums(value, low, high, times2, Lowest, Highest, sums2);
                sums3 = AddCandidateSums(value, low, high, times3, Lowest, Highest, sums3);
            }
            return (multipliers, LaneSums(Widened(sums0.Qq), Widened(sums1.Qq), Widened(sums2.Qq), Widened(sums3.Qq)),
                LaneSums(sums0.Wq, sums1.Wq, sums2.Wq, sums3.Wq));
        }

        /// <summary>Four candidates' fitted scales and errors f²·Σq² − 2f·Σw·q side by side, each then against the best.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Score(ReadOnlySpan<int> batch, Vector128<float> multipliers, Vector256<double> sumQq, Vector256<double> sumWq)
        {
            var fitted = format.StoredScales(Vector256.Narrow(sumWq / sumQq, Vector256<double>.Zero).GetLower());
            var scale = Vector256.WidenLower(fitted.ToVector256Unsafe());
            var errors = scale * scale * sumQq - 2.0 * scale * sumWq;
            for (var c = 0; c < CandidatesAtOnce; c++)
            {
                // A group of values below about 1e-38 (or of zeros) has no finite multiplier: its codes are all 0.0.
                if (float.IsFinite(multipliers[c]) && errors[c] < _bestError)
                    (Best, BestScale, BestMultiplier, _bestError) = (batch[c], fitted[c], multipliers[c], errors[c]);
            }
        }
    }

    /// <summary>The eight float lanes of a sum of small integers as four double lanes holding the same total.</summary>
    private static Vector256<double> Widened(Vector256<float> sums)
    {
        var (low, high) = Vector256.Widen(sums);
        return low + high;
    }

    /// <summary>The lane sums of four vectors, in that order: exact here, as the sums of the search are in any order.</summary>
    private static Vector256<double> LaneSums(Vector256<double> a, Vector256<double> b, Vector256<double> c, Vector256<double> d)
    {
        if (!Avx.IsSupported) return Vector256.Create(Vector256.Sum(a), Vector256.Sum(b), Vector256.Sum(c), Vector256.Sum(d));
        var (ab, cd) = (Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d)); // a0+a1, b0+b1, a2+a3, b2+b3; c and d likewise
        return Avx.Permute2x128(ab, cd, 0x20) + Avx.Permute2x128(ab, cd, 0x31);
    }

    /// <summary>One vector of values' share of a candidate's Σq² (in float: small integers, exact) and Σw·q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Qq, Vector256<double> Wq) AddCandidateSums(Vector256<float> value, Vector256<double> low, Vector256<double> high,
        Vector256<float> times, Vector256<float> lowest, Vector256<float> highest, (Vector256<float> Qq, Vector256<double> Wq) sums)
    {
        var q = Vector256.MinNative(Vector256.MaxNative(Vector256.Round(value * times), lowest), highest);
        var (qLow, qHigh) = Vector256.Widen(q);
        return (Vector256.FusedMultiplyAdd(q, q, sums.Qq), Vector256.FusedMultiplyAdd(high, qHigh, Vector256.FusedMultiplyAdd(low, qLow, sums.Wq)));
    }

    /// <summary>
    /// Candidate <paramref name="candidate"/> (0..24) of the symmetric search's divisors of max-abs: the zero code times
    /// 0.75 … 1.125 in 64ths (q4: 6 … 9 in eighths; q6: 24 … 36 in halves), each exact in double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SymmetricDivisor(QuantFormat format, int candidate) => format.ZeroCode * (0.75 + candidate / 64.0);

    /// <summary>Lanes of a <see cref="Vector256{T}"/> of floats: q4's values side by side, or q4a's candidates.</summary>
    private const int Lanes = 8;

    /// <summary>
    /// Tries every stretch of <see cref="Q4aStretches"/>: rounds with the range shrunk by it around its centre, refits
    /// scale f and offset o by least squares for those codes, and keeps the candidate with the least squared error
    /// (the first of equals), compared from the sums as <see cref="AffineError"/> without a second pass over the
    /// values. Eight candidates run side by side, one per vector lane, each with exactly the scalar arithmetic in the
    /// scalar order (its Σw·q over values that may be near zero is not exact, so its order is kept); the codes are
    /// rounded again for the candidate chosen.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        Span<float> scales = stackalloc float[lanes], offsets = stackalloc float[lanes];
        double sw = 0;
        foreach (var x in v) sw += x;
        var count = Vector256.Create((double)v.Length);
        var top = Vector256.Create(format.MaxCode);
        var (best, bestError) = ((Scale: 0f, Offset: min), double.PositiveInfinity);
        var (roundScale, roundOffset) = (0f, 0f);
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
                (sq, sqq) = (sq + code, sqq + code * code);
                var (qLow, qHigh) = Vector256.Widen(Vector256.ConvertToSingle(code));
                var value = Vector256.Create((double)v[i]);
                (swqLow, swqHigh) = (swqLow + value * qLow, swqHigh + value * qHigh);
            }
            var (fitScale, fitOffset) = FitAffine(sw, count, sq, sqq, swqLow, swqHigh);
            (fitScale, fitOffset) = (Stored(fitScale, format), Stored(fitOffset, format));
            for (var c = 0; c < Math.Min(lanes, Q4aStretches.Length - first); c++)
            {
                var swq = c < lanes / 2 ? swqLow[c] : swqHigh[c - lanes / 2];
                var error = AffineError(fitScale[c], fitOffset[c], v.Length, sq[c], sqq[c], swq, sw);
                if (error < bestError) (best, bestError, roundScale, roundOffset) = ((fitScale[c], fitOffset[c]), error, scales[c], offsets[c]);
            }
        }
        for (var i = 0; i < v.Length; i++) codes[i] = Round(v[i], roundScale, roundOffset, format);
        return best;
    }

    /// <summary>
    /// The squared error of scale f and offset o for codes with the given sums, less Σw² (the same for every
    /// candidate): f²·Σq² + n·o² + 2f·o·Σq − 2f·Σw·q − 2o·Σw, the criterion of the q4a search.
    /// </summary>
    public static double AffineError(double scale, double offset, int count, double sumQ, double sumQq, double sumWq, double sumW) =>
        scale * scale * sumQq + count * offset * offset + 2.0 * scale * offset * sumQ - 2.0 * scale * sumWq - 2.0 * offset * sumW;

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

    /// <summary>The codes of a symmetric scheme for one scale (all the code of 0.0 when it is 0), as <see cref="Round"/> gives them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RoundSymmetric(ReadOnlySpan<float> v, float scale, Span<int> codes, QuantFormat format)
    {
        if (scale == 0)
        {
            codes[..v.Length].Fill(format.ZeroCode);
            return;
        }
        var (divisor, zero) = (Vector256.Create(scale), Vector256.Create(format.ZeroCode));
        var (lowest, highest) = (Vector256.Create(format.Scheme == QuantScheme.Q8 ? 1 : 0), Vector256.Create(format.MaxCode));
        var i = 0;
        for (; i + Lanes <= v.Length; i += Lanes)
        {
            var rounded = Vector256.ConvertToInt32(Vector256.Round(Vector256.Create<float>(v.Slice(i, Lanes)) / divisor));
            Vector256.Min(Vector256.Max(rounded + zero, lowest), highest).CopyTo(codes[i..]);
        }
        for (; i < v.Length; i++) codes[i] = Round(v[i], scale, 0, format);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float MaxAbs(ReadOnlySpan<float> v)
    {
        var i = 0;
        var lanes = Vector256<float>.Zero;
        for (; i + Lanes <= v.Length; i += Lanes) lanes = Vector256.Max(lanes, Vector256.Abs(Vector256.Create<float>(v.Slice(i, Lanes))));
        var max = 0f;
        for (var l = 0; l < Lanes; l++) max = MathF.Max(max, lanes[l]);
        for (; i < v.Length; i++) max = MathF.Max(max, MathF.Abs(v[i]));
        return max;
    }
}
