using Llmc.Benchmarks.Quantization;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.EndToEnd.Tests.Quantization;

public sealed class GroupQuantizerTests
{
    public static TheoryData<DType, int> Formats
    {
        get
        {
            var data = new TheoryData<DType, int>();
            foreach (var t in Enum.GetValues<DType>().Where(t => t.IsQuantized() && !QuantFormat.Of(t).IsSuperBlocked))
                foreach (var k in new[] { 172, 64, 65, 300 }) data.Add(t, k);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Dequantized_values_stay_near_the_originals(DType dtype, int k)
    {
        var format = QuantFormat.Of(dtype);
        const int n = 5;
        var values = Gaussian(n * k, seed: k);
        var view = format.View(GroupQuantizer.Pack(values, n, k, format), n, k);
        for (var row = 0; row < n; row++)
        {
            for (var group = 0; group < format.Groups(k); group++)
            {
                var v = values.AsSpan(row * k + group * format.GroupSize, Math.Min(format.GroupSize, k - group * format.GroupSize));
                // A max-abs (or min/max range) step bounds every error of a plain rounding; the 4-bit searches shrink the
                // step and may clip the extremes, so they get a bound of two steps. An f16 scale is within 2^-11 of the
                // step, which may round the largest value's code past the top (clipped, off by 127·2^-11 steps at most).
                var range = format.HasOffsets ? Max(v) - Min(v) : 2 * MaxAbs(v);
                var step = range / (format.HasOffsets ? format.MaxCode : 2 * (format.ZeroCode - 1));
                // An f16 offset is within 2^-11 of the value it rounds, the group's minimum (q4a) at most.
                var slack = format.ScaleType == DType.F16 ? 1.001 : 1.0001;
                var offsetRounding = format.ScaleType == DType.F16 && format.HasOffsets ? MaxAbs(v) * Math.ScaleB(1, -11) : 0;
                var bound = (format.Bits == 8 ? 0.5 : 2.0) * step * slack + offsetRounding + 1e-7;
                for (var j = 0; j < v.Length; j++)
                    Assert.True(Math.Abs(view.Value(row, group * format.GroupSize + j) - v[j]) <= bound, $"{format.Name} row {row} group {group} element {j}");
            }
        }
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(128)]
    public void The_q4_scale_search_beats_max_abs_rounding(int groupSize)
    {
        const int n = 64, k = 256;
        var values = Gaussian(n * k, seed: groupSize);
        var format = new QuantFormat(QuantScheme.Q4, groupSize);
        var view = format.View(GroupQuantizer.Pack(values, n, k, format), n, k);
        double searched = 0, plain = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var (row, j) = (i / k, i % k);
            searched += Square(view.Value(row, j) - values[i]);
            var group = values.AsSpan(row * k + j / groupSize * groupSize, groupSize);
            var scale = MaxAbs(group) / 7;
            plain += Square(scale * Math.Clamp(Math.Round(values[i] / scale), -8, 7) - values[i]);
        }
        Assert.True(searched < 0.9 * plain, $"searched error {searched:E3} vs max-abs {plain:E3}");
    }

    /// <summary>
    /// llmc's q4 is the same format as llama.cpp's Q4_0 (<see cref="GgmlReferenceRounding"/>); its search must leave
    /// less error than that plain rounding on weights of any shape.
    /// </summary>
    [Theory]
    [InlineData("gaussian")]
    [InlineData("uniform")]
    [InlineData("laplace")]
    public void The_q4_search_leaves_less_error_than_llama_cpp_Q4_0_rounding(string distribution)
    {
        const int n = 4000, k = 32;
        var random = new Random(distribution.Length);
        var normal = Gaussian(n * k, seed: 3);
        var values = distribution switch
        {
            "gaussian" => normal,
            "uniform" => [.. normal.Select(_ => (float)(random.NextDouble() * 2 - 1))],
            _ => [.. normal.Select(_ => (float)(Math.Log(1 - random.NextDouble()) * (random.Next(2) * 2 - 1)))],
        };
        var format = new QuantFormat(QuantScheme.Q4, k);
        var view = format.View(GroupQuantizer.Pack(values, n, k, format), n, k);
        var q4_0 = (float[])values.Clone();
        for (var row = 0; row < n; row++) GgmlReferenceRounding.RoundRow(GgmlReferenceType.Q4_0, q4_0.AsSpan(row * k, k));
        double searched = 0, reference = 0;
        for (var i = 0; i < values.Length; i++)
        {
            searched += Square(view.Value(i / k, i % k) - values[i]);
            reference += Square(q4_0[i] - values[i]);
        }
        Assert.True(searched < 0.95 * reference, $"{distribution}: searched error {searched:E4} vs Q4_0 {reference:E4}");
    }

    [Theory]
    [InlineData(DType.Q4G32)]
    [InlineData(DType.Q4AG32)]
    [InlineData(DType.Q6G32)]
    public void The_4_and_6_bit_searches_pick_what_a_search_of_one_candidate_at_a_time_picks(DType dtype)
    {
        var format = QuantFormat.Of(dtype);
        var scheme = format.Scheme;
        var random = new Random(11);
        var codes = new int[32];
        for (var trial = 0; trial < 3000; trial++)
        {
            // Short (last) groups too.
            var v = TrialGroup(trial % 7 == 0 ? 1 + trial % 31 : 32, trial, format, random);
            var length = v.Length;
            var chosen = GroupQuantizer.Choose(v, codes, format);
            var (expected, expectedCodes) = scheme is QuantScheme.Q4 or QuantScheme.Q6 ? OneDivisorAtATime(v, format) : OneStretchAtATime(v, format);
            var group = $"group {trial} [{string.Join(", ", v.Select(x => x.ToString("R")))}]";
            Assert.True(BitConverter.SingleToInt32Bits(expected.Scale) == BitConverter.SingleToInt32Bits(chosen.Scale), $"{group}: scale {chosen.Scale:R}, expected {expected.Scale:R}");
            Assert.True(BitConverter.SingleToInt32Bits(expected.Offset) == BitConverter.SingleToInt32Bits(chosen.Offset), $"{group}: offset {chosen.Offset:R}, expected {expected.Offset:R}");
            Assert.True(expectedCodes.SequenceEqual(codes[..length]), $"{group}: codes {string.Join(",", codes[..length])}, expected {string.Join(",", expectedCodes)}");
        }
    }

    /// <summary>
    /// Gaussian groups, groups whose values span many binades (within f16's range where the scales are f16), tiny ones,
    /// subnormal ones.
    /// </summary>
    private static float[] TrialGroup(int length, int trial, QuantFormat format, Random random)
    {
        var scale = trial % 5 == 0 ? 1e-30 : trial % 11 == 0 ? 1e-44 : 1.0;
        var largest = format.ScaleType == DType.F16 ? 12 : 20;
        return Gaussian(length, seed: trial).Select(x => (float)(x * scale * (trial % 3 == 0 ? Math.Pow(2, random.Next(-20, largest)) : 1))).ToArray();
    }

    [Theory]
    [InlineData(DType.Q4G32)]
    [InlineData(DType.Q4G128)]
    [InlineData(DType.Q6G32)]
    [InlineData(DType.Q6G64)]
    public void A_packed_matrix_searched_eight_groups_at_a_time_holds_what_the_one_candidate_at_a_time_search_picks(DType dtype)
    {
        // 12 groups a row: a batch of eight, then four lanes of eight with the row's short last group among them.
        var format = QuantFormat.Of(dtype);
        const int n = 40;
        var k = 11 * format.GroupSize + 5;
        var random = new Random(12);
        var values = new float[n * k];
        for (var row = 0; row < n; row++)
            for (var group = 0; group < format.Groups(k); group++)
            {
                var start = group * format.GroupSize;
                TrialGroup(Math.Min(format.GroupSize, k - start), row * 16 + group, format, random).CopyTo(values, row * k + start);
            }
        var view = format.View(GroupQuantizer.Pack(values, n, k, format), n, k);
        for (var row = 0; row < n; row++)
            for (var group = 0; group < format.Groups(k); group++)
            {
                var start = group * format.GroupSize;
                var v = values.AsSpan(row * k + start, Math.Min(format.GroupSize, k - start)).ToArray();
                var (expected, expectedCodes) = OneDivisorAtATime(v, format);
                Assert.True(BitConverter.SingleToInt32Bits(expected.Scale) == BitConverter.SingleToInt32Bits(view.Scale(row, group)),
                    $"row {row} group {group}: scale {view.Scale(row, group):R}, expected {expected.Scale:R}");
                var codes = new int[v.Length];
                for (var j = 0; j < v.Length; j++) codes[j] = view.Code(row, start + j);
                Assert.Equal(expectedCodes, codes);
            }
    }

    /// <summary>
    /// The q4 and q6 search by its definition: divisors d (the zero code times 0.75 … 1.125 in 64ths, candidates 0 … 24)
    /// in turn, codes of the values times d / max-abs, least-squares refit, least error wins (the first tried of
    /// equals), the error less Σw² as f·(f·Σq² − 2Σw·q), all in float, the sums by fused multiply-adds in value order. q6 tries 0 … 19;
    /// q4 every third, then the best's two neighbours below and two above. A group whose largest magnitude is positive
    /// is searched negated and its scale negated back, so that extreme gets the code range's extra step below zero.
    /// </summary>
    private static ((float Scale, float Offset), int[] Codes) OneDivisorAtATime(float[] group, QuantFormat format)
    {
        var sign = Math.Max(group.Max(), 0) > -Math.Min(group.Min(), 0) ? -1 : 1;
        var v = group.Select(x => sign * x).ToArray();
        var max = MaxAbs(v);
        var (bestScale, bestError, best, bestCandidate) = (0f, float.PositiveInfinity, Enumerable.Repeat(format.ZeroCode, v.Length).ToArray(), -1);
        void Try(int d)
        {
            var multiplier = format.ZeroCode * (0.75f + d / 64f) / max;
            if (float.IsInfinity(multiplier)) return;
            var trial = v.Select(x => Math.Clamp((int)MathF.Round(x * multiplier), -format.ZeroCode, format.MaxCode - format.ZeroCode) + format.ZeroCode).ToArray();
            float wq = 0, qq = 0;
            for (var i = 0; i < v.Length; i++)
            {
                var q = (float)(trial[i] - format.ZeroCode);
                (wq, qq) = (MathF.FusedMultiplyAdd(v[i], q, wq), MathF.FusedMultiplyAdd(q, q, qq));
            }
            var fitted = format.StoredScale(wq / qq);
            var error = fitted * (fitted * qq - 2f * wq);
            if (error < bestError) (bestScale, bestError, best, bestCandidate) = (fitted, error, trial, d);
        }
        var (count, step) = format.Scheme == QuantScheme.Q4 ? (9, 3) : (20, 1);
        Assert.Equal((count, step), GroupQuantizer.FirstPass(format));
        for (var c = 0; c < count; c++) Try(c * step);
        if (step > 1 && bestCandidate >= 0)
            foreach (var d in new[] { bestCandidate - 2, bestCandidate - 1, bestCandidate + 1, bestCandidate + 2 }.Where(d => d is >= 0 and < 25)) Try(d);
        return ((sign * bestScale, 0), best);
    }

    /// <summary>
    /// The q4a search by its definition: each stretch of the range in turn, least-squares refit of scale and offset,
    /// least error wins (the first of equals), the error less Σw² from sums in double over the values in turn.
    /// </summary>
    private static ((float Scale, float Offset), int[] Codes) OneStretchAtATime(float[] v, QuantFormat format)
    {
        var (min, max) = (v.Min(), v.Max());
        if (max == min) return ((0, format.StoredScale(min)), new int[v.Length]);
        var (best, bestError, bestCodes) = ((Scale: 0f, Offset: min), double.PositiveInfinity, new int[v.Length]);
        for (var s = 0; s < 16; s++)
        {
            var stretch = 0.7 + s * 0.025;
            var scale = (max - min) / format.MaxCode / stretch;
            var offset = min + (max - min) * (1 - 1 / stretch) / 2;
            var trial = v.Select(x => GroupQuantizer.Round(x, (float)scale, (float)offset, format)).ToArray();
            double sq = 0, sqq = 0, sw = 0, swq = 0;
            for (var i = 0; i < v.Length; i++) (sq, sqq, sw, swq) = (sq + trial[i], sqq + (double)trial[i] * trial[i], sw + v[i], swq + (double)v[i] * trial[i]);
            var det = v.Length * sqq - sq * sq;
            var fitScale = det == 0 ? 0 : (v.Length * swq - sq * sw) / det;
            (float Scale, float Offset) fit = det == 0 ? (0, (float)(sw / v.Length)) : ((float)fitScale, (float)((sw - fitScale * sq) / v.Length));
            fit = (format.StoredScale(fit.Scale), format.StoredScale(fit.Offset));
            var error = GroupQuantizer.AffineError(fit.Scale, fit.Offset, v.Length, sq, sqq, swq, sw);
            if (error < bestError) (best, bestError, bestCodes) = (fit, error, trial);
        }
        return (best, bestCodes);
    }

    [Theory]
    [InlineData(DType.Q8G32, 1e7f)]
    [InlineData(DType.Q4G32, 1e6f)]
    [InlineData(DType.Q4AG64, -7e4f)]
    public void A_weight_beyond_the_range_of_f16_scales_is_refused_by_name(DType dtype, float outlier)
    {
        var values = Gaussian(4 * 64, seed: 5);
        values[130] = outlier;
        var source = new ComputedWeight(values, new TensorType(DType.F32, 4, 64));
        var weight = new QuantizedWeight(source, QuantFormat.Of(dtype), "model.layers.0.mlp.down_proj.weight");
        var error = Assert.Throws<Llmc.Runtime.LlmcException>(() => weight.ReadStored());
        Assert.Contains("weight 'model.layers.0.mlp.down_proj.weight'", error.Message);
        Assert.Contains("outside the range of its f16 scales", error.Message);
    }

    [Fact]
    public void A_packed_matrix_takes_only_scales_its_format_holds()
    {
        var f16Scales = new PackedMatrix(QuantFormat.Of(DType.Q8G32), 1, 32);
        var error = Assert.Throws<ArgumentException>(() => f16Scales.SetGroup(0, 0, 0.1f, 0));
        Assert.Contains("not an f16 scale of q8g32", error.Message);
        f16Scales.SetGroup(0, 0, (float)(Half)0.1f, 0);
        Assert.Equal((float)(Half)0.1f, QuantFormat.Of(DType.Q8G32).View(f16Scales.Bytes, 1, 32).Scale(0, 0));
        var f32Scales = new PackedMatrix(QuantFormat.Of(DType.Q8AG32S32), 1, 32);
        f32Scales.SetGroup(0, 0, 0.1f, -0.3f);
        var view = QuantFormat.Of(DType.Q8AG32S32).View(f32Scales.Bytes, 1, 32);
        Assert.Equal((0.1f, -0.3f), (view.Scale(0, 0), view.Offset(0, 0)));
    }

    [Fact]
    public void A_super_blocked_matrix_takes_super_block_values_and_factors_and_its_scales_are_their_products()
    {
        // K = 600 in groups of 32: 19 groups, 3 super-blocks of 8 (the last of 3 groups).
        var format = QuantFormat.Of(DType.Q4AG32K);
        var packed = new PackedMatrix(format, 2, 600);
        Assert.Throws<InvalidOperationException>(() => packed.SetGroup(0, 0, 0.1f, 0));
        packed.SetSuperBlock(1, 2, (Half)0.0123f, (Half)(-0.5f));
        packed.SetGroupFactors(1, 18, -77, 63);
        packed.SetGroupFactors(1, 15, 5, 1);
        var view = format.View(packed.Bytes, 2, 600);
        Assert.Equal((float)(Half)0.0123f * -77, view.Scale(1, 18));
        Assert.Equal(-0.5f * 63, view.Offset(1, 18));
        Assert.Equal(0f, view.Scale(1, 15)); // super-block 1 of row 1 was never set
        Assert.Equal(0f, view.Scale(0, 18));
        Assert.Equal(((sbyte)-77, (sbyte)63, (Half)(-0.5f)), (view.ScaleFactor(1, 18), view.OffsetFactor(1, 18), view.SuperOffset(1, 2)));
    }

    [Fact]
    public void The_quantizers_refuse_the_formats_that_carry_gguf_k_quants()
    {
        var error = Assert.Throws<ArgumentException>(() => GroupQuantizer.Pack(new float[64], 1, 64, QuantFormat.Of(DType.Q8G16K)));
        Assert.Contains("q8g16k", error.Message);
    }

    [Fact]
    public void All_zero_groups_pack_to_zero()
    {
        foreach (var dtype in Enum.GetValues<DType>().Where(t => t.IsQuantized() && !QuantFormat.Of(t).IsSuperBlocked))
        {
            var format = QuantFormat.Of(dtype);
            var view = format.View(GroupQuantizer.Pack(new float[3 * 65], 3, 65, format), 3, 65);
            for (var j = 0; j < 65; j++) Assert.Equal(0f, view.Value(2, j));
        }
    }

    private static float[] Gaussian(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];
    }

    private static float MaxAbs(ReadOnlySpan<float> v) => Math.Max(Max(v), -Min(v));

    private static float Max(ReadOnlySpan<float> v) => TensorPrimitivesMax(v, MathF.Max);

    private static float Min(ReadOnlySpan<float> v) => TensorPrimitivesMax(v, MathF.Min);

    private static float TensorPrimitivesMax(ReadOnlySpan<float> v, Func<float, float, float> pick)
    {
        var best = v[0];
        foreach (var x in v) best = pick(best, x);
        return best;
    }

    private static double Square(double d) => d * d;
}
