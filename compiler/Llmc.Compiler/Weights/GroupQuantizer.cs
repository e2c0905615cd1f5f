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
    // Candidates around the plain choice: divisors of the group's max-abs (q4, q6: SymmetricGroupSearch) or multipliers
    // of its range/15 (q4a).
    internal const int SymmetricCandidates = 25;
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
        if (format.IsSuperBlocked)
            throw new ArgumentException($"{format.Name} carries a GGUF k-quant's scales as they are; llmc's quantizers write formats with whole group scales", nameof(format));
        var packed = new PackedMatrix(format, n, k);
        var blocks = (n + RowsPerBlock - 1) / RowsPerBlock;
        Parallel.For(0, blocks, () => (Rows: new float[RowsPerBlock * k], Codes: new int[SymmetricGroupSearch.Lanes * format.GroupSize]), (block, _, buffers) =>
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
        if (format.Scheme is QuantScheme.Q4 or QuantScheme.Q6)
        {
            Span<float> scales = stackalloc float[SymmetricGroupSearch.Lanes];
            for (var first = 0; first < packed.Groups; first += SymmetricGroupSearch.Lanes)
            {
                var count = Math.Min(SymmetricGroupSearch.Lanes, packed.Groups - first);
                SymmetricGroupSearch.Search(row, first, count, format, scales, groupCodes);
                for (var g = 0; g < count; g++)
                {
                    var start = (first + g) * format.GroupSize;
                    packed.SetGroup(index, first + g, scales[g], 0);
                    packed.SetCodes(index, start, groupCodes.AsSpan(g * format.GroupSize, Math.Min(format.GroupSize, row.Length - start)));
                }
            }
            return;
        }
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

    /// <summary>One group through <see cref="SymmetricGroupSearch"/> (in one lane of eight: GPTQ and tests ask for single groups).</summary>
    private static (float Scale, float Offset) SearchSymmetric(ReadOnlySpan<float> v, int[] codes, QuantFormat format)
    {
        Span<float> scale = stackalloc float[1];
        SymmetricGroupSearch.Search(v, 0, 1, format, scale, codes);
        return (scale[0], 0);
    }

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
    /// The symmetric search's first pass over its 25 divisors, from the first: how many, and their stride. When the
    /// stride is over 1 the best is then compared with the two divisors either side of it. q4 tries every third and
    /// then those four, 13 in all: on Gaussian groups that chose as all 25 do in 98.5 % of groups, at 0.02 % more
    /// squared error. A q6 group's error changes more from one divisor to the next (every third: 1-3 % more error), so
    /// q6 tries them in turn, but only 0 … 19: with its extreme oriented onto code −32, a divisor over 32.5 (19 … 24)
    /// only clips that extreme further: in 240,000 Gaussian, Laplace and uniform groups of 32, 64 and 128, divisors
    /// 0 … 19 chose as all 25 in all but 12 (groups of 128 whose best was 20, at no measurable error).
    /// </summary>
    public static (int Count, int Step) FirstPass(QuantFormat format) => format.Scheme == QuantScheme.Q4 ? (9, 3) : (20, 1);

    /// <summary>Lanes of a <see cref="Vector256{T}"/> of floats: q4a's candidates side by side, or eight values.</summary>
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
            (fitScale, fitOffset) = (format.StoredScales(fitScale), format.StoredScales(fitOffset));
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
