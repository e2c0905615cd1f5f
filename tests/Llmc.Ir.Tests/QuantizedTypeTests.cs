using Llmc.Ir.Quantization;

namespace Llmc.Ir.Tests;

public sealed class QuantizedTypeTests
{
    [Fact]
    public void Every_quantized_dtype_names_its_format_and_parses_back()
    {
        foreach (var t in Enum.GetValues<DType>().Where(t => t.IsQuantized()))
        {
            Assert.Equal(t, DTypes.Parse(t.Name()));
            Assert.Equal(t, QuantFormat.Of(t).DType);
            Assert.False(t.IsFloat());
        }
        Assert.Equal("q4ag64", DType.Q4AG64.Name());
        Assert.Equal("q4ag32k", DType.Q4AG32K.Name());
    }

    [Fact]
    public void Packed_size_follows_the_documented_layout()
    {
        // K = 172, groups of 32: 6 groups, the last one 12 short; scales (and offsets) padded to 64 bytes, then codes.
        var q8 = new QuantFormat(QuantScheme.Q8, 32);
        Assert.Equal(6, q8.Groups(172));
        Assert.Equal(192, q8.CodeRowBytes(172));
        Assert.Equal(64 + 3 * 192L, q8.PackedBytes(3, 172)); // 3·6·2 = 36 bytes of f16 scales, padded to 64
        Assert.Equal(128, q8.CodesOffset(6, 172)); // 6·6·2 = 72 bytes, padded to 128
        var q4a = new QuantFormat(QuantScheme.Q4A, 64);
        Assert.Equal(64 + 2 * 96L, q4a.PackedBytes(2, 172)); // f16 scales and offsets 2·3·2 each = 24 bytes, padded to 64
        var q8a = QuantFormat.Of(DType.Q8AG32S32);
        Assert.Equal(4 * 6 * 4, q8a.OffsetsOffset(4, 172)); // f32 scales: 96 bytes, then as many of offsets
        Assert.Equal(192 + 4 * 192L, q8a.PackedBytes(4, 172));
        // Super-blocked, K = 600 in groups of 32: 19 groups and 3 super-blocks a row; 4 rows of byte factors for scales
        // and offsets (152 bytes), then f16 super-block scales (24 bytes) and offsets (24), codes from 256.
        var q4k = QuantFormat.Of(DType.Q4AG32K);
        Assert.Equal(3, q4k.Supers(600));
        Assert.Equal(76, q4k.OffsetsOffset(4, 600));
        Assert.Equal(152, q4k.SupersOffset(4, 600));
        Assert.Equal(176, q4k.SuperOffsetsOffset(4, 600));
        Assert.Equal(256, q4k.CodesOffset(4, 600));
        Assert.Equal(256 + 4 * 304L, q4k.PackedBytes(4, 600));
        // Q6_K's groups of 16: 16 a super-block.
        Assert.Equal((16, 2), (QuantFormat.Of(DType.Q8G16K).GroupsPerSuper, QuantFormat.Of(DType.Q8G16K).Supers(300)));
    }

    [Fact]
    public void F16_scales_round_as_the_half_conversion_does()
    {
        var format = QuantFormat.Of(DType.Q4G32);
        // Every 4099th bit pattern (both signs, all exponents), and the edges of f16's normal range and its ties.
        var edges = new[] { 6.103515625e-05f, 6.1035153e-05f, 65504f, 65503.996f, 65519.996f, 65520f, 1.00048828125f, 1.00146484375f, 2047.5f, 0f, 5.96e-8f };
        var patterns = Enumerable.Range(0, 1 << 20).Select(i => BitConverter.Int32BitsToSingle((int)((uint)i * 4099u)))
            .Concat(edges).Concat(edges.Select(e => -e));
        foreach (var value in patterns.Where(float.IsFinite))
        {
            var expected = (float)(Half)value;
            if (float.IsInfinity(expected))
            {
                Assert.Throws<IrException>(() => format.StoredScale(value));
                continue;
            }
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(format.StoredScale(value)),
                $"{value:R} ({BitConverter.SingleToInt32Bits(value):X8}): {format.StoredScale(value):R}, expected {expected:R}");
        }
        Assert.Equal(0.1f, QuantFormat.Of(DType.Q8AG32S32).StoredScale(0.1f));
    }

    [Fact]
    public void Scales_rounded_eight_at_a_time_are_those_rounded_one_at_a_time()
    {
        // Runs of eight consecutive patterns: mostly all within f16's normal range (the lane path), some not (lane by lane).
        var format = QuantFormat.Of(DType.Q6G32);
        var values = Enumerable.Range(0, 1 << 18).Select(i => BitConverter.Int32BitsToSingle((int)((uint)i * 16411u)))
            .Where(v => float.IsFinite(v) && Math.Abs(v) < 65504f).ToArray();
        for (var i = 0; i + 8 <= values.Length; i += 8)
        {
            var lanes = format.StoredScales(System.Runtime.Intrinsics.Vector256.Create<float>(values.AsSpan(i, 8)));
            for (var c = 0; c < 8; c++)
                Assert.True(BitConverter.SingleToInt32Bits(format.StoredScale(values[i + c])) == BitConverter.SingleToInt32Bits(lanes[c]), $"{values[i + c]:R}");
        }
        Assert.Equal(0.1f, QuantFormat.Of(DType.Q8AG32S32).StoredScales(System.Runtime.Intrinsics.Vector256.Create(0.1f))[2]);
    }

    [Fact]
    public void Nibbles_pack_code_i_and_i_plus_16_into_byte_i_of_each_block()
    {
        var format = new QuantFormat(QuantScheme.Q4, 32);
        var row = new byte[32];
        for (var j = 0; j < 64; j++) format.SetCode(row, j, j % 16);
        Assert.Equal(0x00, row[0]);
        Assert.Equal(0x11, row[1]);
        for (var j = 0; j < 64; j++) Assert.Equal(j % 16, format.Code(row, j));
    }

    [Fact]
    public void Q6_pads_rows_to_64_codes_and_keeps_high_bits_in_a_plane_after_the_nibbles()
    {
        var format = QuantFormat.Of(DType.Q6G32);
        Assert.Equal(128, format.RowCodes(65)); // 3 groups of 32, padded to two units of 64 codes
        Assert.Equal(96, format.CodeRowBytes(65)); // 64 nibble bytes, 32 high bytes
        Assert.Equal(64, format.NibbleRowBytes(65));
        var row = new byte[96];
        for (var j = 0; j < 128; j++) format.SetCode(row, j, (j * 37 + 5) % 64);
        for (var j = 0; j < 128; j++) Assert.Equal((j * 37 + 5) % 64, format.Code(row, j));
        // Code 0 (5 = 0b000101) and code 16 (597 % 64 = 21 = 0b010101) share nibble byte 0; their high bits (0 and 1)
        // are bits 0-1 and 2-3 of high byte 0. Nibble byte 16 (codes 32 and 48) puts its high bits in bits 4-7 of it.
        Assert.Equal(0x55, row[0]);
        var (c32, c48) = ((32 * 37 + 5) % 64, (48 * 37 + 5) % 64);
        Assert.Equal((c32 >> 4) << 4 | (c48 >> 4) << 6 | 1 << 2, row[64]);
        // The second unit (nibble bytes 32..63) has high bytes 80..95.
        var c64 = (64 * 37 + 5) % 64;
        Assert.Equal(c64 >> 4, row[80] & 3);
    }

    [Theory]
    [InlineData(DType.Q4G32)]
    [InlineData(DType.Q4AG64)]
    [InlineData(DType.Q6G32)]
    [InlineData(DType.Q6G64)]
    [InlineData(DType.Q8G32)]
    public void Codes_stored_a_run_at_a_time_are_the_bytes_of_storing_them_one_by_one(DType dtype)
    {
        // 150 codes: whole blocks, a partial one at the end, and runs starting at a block boundary or not; both rows
        // start from the same random bytes, which must survive wherever no code is stored.
        var format = QuantFormat.Of(dtype);
        var random = new Random(7);
        var (byRun, oneByOne) = (new byte[format.CodeRowBytes(150)], new byte[format.CodeRowBytes(150)]);
        random.NextBytes(byRun);
        byRun.CopyTo(oneByOne, 0);
        foreach (var (start, count) in new[] { (0, 64), (64, 45), (120, 30), (109, 3) })
        {
            var codes = Enumerable.Range(0, count).Select(_ => random.Next(format.MaxCode + 1)).ToArray();
            format.SetCodes(byRun, start, codes);
            for (var j = 0; j < count; j++) format.SetCode(oneByOne, start + j, codes[j]);
            Assert.Equal(oneByOne, byRun);
        }
    }

    [Fact]
    public void Embedding_gathers_a_quantized_table_dequantized_and_refuses_an_integer_one()
    {
        var graph = Parser.Parse("""
            graph g {
              input %tokens: i32[seq]
              weight %table: q4ag32[3, 40]
              %x: f32[seq, 40] = embedding(%table, %tokens) {scale = 2}
              output %x
            }
            """);
        var format = QuantFormat.Of(DType.Q4AG32);
        var packed = new byte[format.PackedBytes(3, 40)];
        new Random(3).NextBytes(packed.AsSpan((int)format.CodesOffset(3, 40)));
        var planes = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(packed.AsSpan(0, 2 * 3 * 2 * format.ScaleBytes));
        for (var i = 0; i < planes.Length; i++) planes[i] = (Half)(0.25f * (i + 1));
        var table = new HostTensor(DType.Q4AG32, [3, 40], packed);
        var x = ReferenceInterpreter.Run(graph, new Dictionary<string, HostTensor> { ["tokens"] = new([2], [2, 0]) },
            _ => table, new Dictionary<string, HostTensor>())["x"].Floats;
        var values = format.Dequantize(packed, 3, 40);
        Assert.Equal([.. values.AsSpan(80, 40).ToArray().Select(v => 2 * v), .. values.AsSpan(0, 40).ToArray().Select(v => 2 * v)], x);

        var error = Assert.Throws<IrException>(() => Parser.Parse("""
            graph g {
              input %tokens: i32[seq]
              weight %table: i32[10, 64]
              %x: f32[seq, 64] = embedding(%table, %tokens)
              output %x
            }
            """));
        Assert.Contains("table must be a float or quantized tensor", error.Message);
    }
}
