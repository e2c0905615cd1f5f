using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>
/// The q4 and q6 scale search, on up to eight groups at once, one group per vector lane. For each group it tries
/// divisors d of max-abs (the zero code times 0.75 … 1.125 in 64ths; <see cref="GroupQuantizer.FirstPass"/>) on the group,
/// negated when its largest magnitude is positive (the scale is then negative): rounds the values times d / max-abs,
/// refits the scale f = Σw·q / Σq² for those codes q (least squares), and keeps the candidate with the least squared
/// error (the first tried of equals), compared as f·(f·Σq² − 2Σw·q), the error less Σw² (the same for every candidate).
/// <para>
/// All of it is float arithmetic, the sums taken by fused multiply-adds in value order, so each lane computes exactly
/// what the scalar definition does (GroupQuantizerTests checks scales and codes bit for bit). Until 2026-12-06 the sums
/// were in double (widening every code twice, which Zen 1 does slowly); float rounding moves a group's error by about
/// 10⁻⁷ of Σw², far below the gaps between candidates, and KLD from f32 did not move (docs/quantization.md).
/// </para>
/// <para>
/// Why lanes of groups rather than lanes of one group's values: a group of 32 is only four vectors, so a search within
/// one group spent most of its time outside its summing loop (sums across lanes, a branch per candidate on its error,
/// per-group setup); with a group per lane every step, scoring and choosing included, is one vector operation for
/// eight groups, and the summing loop runs the group's whole length.
/// </para>
/// </summary>
internal static class SymmetricGroupSearch
{
    /// <summary>Groups searched at once: the float lanes of a <see cref="Vector256{T}"/>.</summary>
    public const int Lanes = 8;

    /// <summary>
    /// Searches groups <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 (at most
    /// <see cref="Lanes"/>) of <paramref name="row"/>, each of the group size but the row's last, which may be shorter.
    /// Group g's scale goes to <paramref name="scales"/>[g] and its codes to <paramref name="codes"/> from g times the
    /// group size (a short group's codes past its end are those of zero padding).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Search(ReadOnlySpan<float> row, int first, int count, QuantFormat format, Span<float> scales, Span<int> codes)
    {
        var size = format.GroupSize;
        var scratch = t_scratch ??= new Scratch();
        var values = scratch.Values.AsSpan(0, size);
        // Value j of group g in lane g of values[j], eight values of eight groups transposed at a time; lanes past the
        // groups, and values past a short group, are zero padding, which rounds to code 0.0 and adds nothing to either
        // sum (nor moves the extremes past 0).
        Span<Vector256<float>> block = stackalloc Vector256<float>[Lanes];
        for (var b = 0; b < size; b += Lanes)
        {
            for (var g = 0; g < Lanes; g++)
            {
                var start = (first + g) * size + b;
                var available = g < count ? Math.Clamp(row.Length - start, 0, Lanes) : 0;
                block[g] = available == Lanes ? Vector256.Create(row.Slice(start, Lanes))
                    : available > 0 ? ZeroPadded(row.Slice(start, available)) : Vector256<float>.Zero;
            }
            LaneTranspose.Transpose(block, values.Slice(b, Lanes));
        }
        var (top, bottom) = (Vector256<float>.Zero, Vector256<float>.Zero);
        foreach (var v in values) (top, bottom) = (Vector256.Max(top, v), Vector256.Min(bottom, v));
        // The codes reach one step further below zero (−8 … 7 for q4) than above, so a group whose largest magnitude is
        // positive is searched negated and gets a negative scale: its extreme then lands on the extra step, as
        // llama.cpp's Q4_0 places it. Gaussian groups lose 11 % of their squared error this way (docs/quantization.md).
        var negated = Vector256.GreaterThan(top, -bottom);
        var sign = Vector256.ConditionalSelect(negated, Vector256.Create(-1f), Vector256<float>.One);
        foreach (ref var v in values) v *= sign;
        var search = new LaneSearch(format, Vector256.ConditionalSelect(negated, top, -bottom), values);
        var (count0, step) = GroupQuantizer.FirstPass(format);
        // In pairs, in order; an odd last candidate is paired with itself (a repeat never beats its original).
        for (var c = 0; c < count0; c += 2)
            search.TryPair(Vector256.Create(c * step), Vector256.Create(Math.Min(c + 1, count0 - 1) * step));
        if (step > 1)
        {
            // The neighbours less than a step from each lane's best: the two below it, then the two above (repeats past
            // the ends). A lane with no finite multiplier has no best, and its trials are never taken.
            var best = search.BestCandidate;
            var (least, most) = (Vector256<int>.Zero, Vector256.Create(GroupQuantizer.SymmetricCandidates - 1));
            Vector256<int> Neighbour(int offset) => Vector256.Min(Vector256.Max(best + Vector256.Create(offset), least), most);
            search.TryPair(Neighbour(-2), Neighbour(-1));
            search.TryPair(Neighbour(1), Neighbour(2));
        }
        (sign * search.BestScale).CopyTo(scratch.Scales);
        scratch.Scales.AsSpan(0, count).CopyTo(scales);
        var laneCodes = scratch.Codes.AsSpan(0, size);
        search.WriteCodes(laneCodes);
        for (var b = 0; b < size; b += Lanes)
        {
            LaneTranspose.Transpose(laneCodes.Slice(b, Lanes), block);
            for (var g = 0; g < count; g++) block[g].AsInt32().CopyTo(codes.Slice(g * size + b, Lanes));
        }
    }

    /// <summary>The values followed by zeros, as one vector.</summary>
    private static Vector256<float> ZeroPadded(ReadOnlySpan<float> values)
    {
        Span<float> lanes = stackalloc float[Lanes];
        lanes.Clear();
        values.CopyTo(lanes);
        return Vector256.Create<float>(lanes);
    }

    /// <summary>Per thread: the transposed groups, and the codes and scales chosen.</summary>
    private sealed class Scratch
    {
        private static int Largest => QuantFormat.GroupSizes.Max();
        public readonly Vector256<float>[] Values = new Vector256<float>[Largest];
        public readonly Vector256<float>[] Codes = new Vector256<float>[Largest]; // as float bits, for the transpose
        public readonly float[] Scales = new float[Lanes];
    }

    [ThreadStatic] private static Scratch? t_scratch;

    /// <summary>Each lane's best candidate so far, and the trial of two candidates per lane at a time.</summary>
    private ref struct LaneSearch(QuantFormat format, Vector256<float> max, ReadOnlySpan<Vector256<float>> values)
    {
        private readonly Vector256<float> _lowest = Vector256.Create((float)-format.ZeroCode);
        private readonly Vector256<float> _highest = Vector256.Create((float)(format.MaxCode - format.ZeroCode));
        private readonly Vector256<float> _max = max;
        private readonly ReadOnlySpan<Vector256<float>> _values = values;
        private Vector256<float> _bestError = Vector256.Create(float.PositiveInfinity);

        public Vector256<int> BestCandidate { get; private set; } = Vector256.Create(-1);

        /// <summary>The fitted scale of each lane's best (0 while it has none).</summary>
        public Vector256<float> BestScale { get; private set; }

        /// <summary>The multiplier of each lane's best (0 while it has none, which rounds every value to code 0.0).</summary>
        private Vector256<float> _bestMultiplier;

        /// <summary>Two candidates (divisor indices) per lane: their sums in one pass over the values, then each scored in order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void TryPair(Vector256<int> first, Vector256<int> second)
        {
            var (times0, times1) = (Multipliers(first), Multipliers(second));
            var (sums0, sums1) = PairSums(_values, times0, times1, _lowest, _highest);
            Score(first, times0, sums0);
            Score(second, times1, sums1);
        }

        /// <summary>
        /// Each lane's divisor / max-abs, its divisor of the candidate's index (0 … 24) the zero code times 0.75 + index / 64
        /// (q4: 6 … 9 in eighths; q6: 24 … 36 in halves), exact in float.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly Vector256<float> Multipliers(Vector256<int> candidates) =>
            Vector256.Create((float)format.ZeroCode) * (Vector256.Create(0.75f) + Vector256.ConvertToSingle(candidates) / 64f) / _max;

        /// <summary>
        /// Each lane's fitted scale Σw·q / Σq² (rounded to the scale type) and error f·(f·Σq² − 2Σw·q), taken where the
        /// error is less than the lane's best.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Score(Vector256<int> candidates, Vector256<float> multipliers, Sums sums)
        {
            var fitted = format.StoredScales(sums.Wq / sums.Qq);
            // A group of values below about 1e-38 (or of zeros) has no finite multiplier: its codes are all 0.0.
            var error = Vector256.ConditionalSelect(Vector256.IsFinite(multipliers), fitted * (fitted * sums.Qq - 2f * sums.Wq), Vector256.Create(float.PositiveInfinity));
            var better = Vector256.LessThan(error, _bestError);
            _bestError = Vector256.ConditionalSelect(better, error, _bestError);
            BestCandidate = Vector256.ConditionalSelect(better.AsInt32(), candidates, BestCandidate);
            BestScale = Vector256.ConditionalSelect(better, fitted, BestScale);
            _bestMultiplier = Vector256.ConditionalSelect(better, multipliers, _bestMultiplier);
        }

        /// <summary>
        /// The codes of each lane's best, value j of every lane in <paramref name="codes"/>[j]: the values times its
        /// multiplier, rounded to even, clamped, offset by the zero code.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void WriteCodes(Span<Vector256<float>> codes)
        {
            var (times, zero) = (_bestMultiplier, Vector256.Create(format.ZeroCode));
            var values = _values;
            for (var j = 0; j < values.Length; j++)
                codes[j] = (Vector256.ConvertToInt32(Vector256.MinNative(Vector256.MaxNative(Vector256.Round(values[j] * times), _lowest), _highest)) + zero).AsSingle();
        }
    }

    /// <summary>A candidate's sums per lane: Σq² (small integers, exact) and Σw·q.</summary>
    private readonly record struct Sums(Vector256<float> Qq, Vector256<float> Wq);

    /// <summary>
    /// Two candidates' sums in one pass over the values (each value loaded once for both), by fused multiply-adds in
    /// value order. Static, with everything it reads passed in: as an instance method of the search the JIT kept its
    /// accumulators in memory across iterations, a store and a load in every chain of adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (Sums First, Sums Second) PairSums(ReadOnlySpan<Vector256<float>> values, Vector256<float> times0, Vector256<float> times1,
        Vector256<float> lowest, Vector256<float> highest)
    {
        Vector256<float> qq0 = default, qq1 = default, wq0 = default, wq1 = default;
        foreach (var value in values)
        {
            var q0 = Vector256.MinNative(Vector256.MaxNative(Vector256.Round(value * times0), lowest), highest);
            var q1 = Vector256.MinNative(Vector256.MaxNative(Vector256.Round(value * times1), lowest), highest);
            (qq0, wq0) = (Vector256.FusedMultiplyAdd(q0, q0, qq0), Vector256.FusedMultiplyAdd(value, q0, wq0));
            (qq1, wq1) = (Vector256.FusedMultiplyAdd(q1, q1, qq1), Vector256.FusedMultiplyAdd(value, q1, wq1));
        }
        return (new Sums(qq0, wq0), new Sums(qq1, wq1));
    }
}
