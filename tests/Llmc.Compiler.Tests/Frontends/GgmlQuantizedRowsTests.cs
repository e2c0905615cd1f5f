using Llmc.Compiler.Frontends.Gguf;
using Llmc.Compiler.Weights;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Tests.Frontends;

/// <summary>
/// Q4_K has no golden file of its own (llama.cpp's Q4_K_M mixes in Q6_K): random super-blocks decoded into q4ag32
/// against ggml's dequantize_row_q4_K loop, written out here as ggml's reference code walks a block (64 values at a
/// time: the low nibbles of 32 bytes with one scale/min pair, then their high nibbles with the next).
/// </summary>
public sealed class GgmlQuantizedRowsTests
{
    [Fact]
    public void Q4_k_super_blocks_decode_to_the_values_ggml_dequantizes()
    {
        const int k = 512;
        var random = new Random(7);
        var row = new byte[k / 256 * 144];
        random.NextBytes(row);
        for (var s = 0; s < k / 256; s++)
        {
            // Finite f16 d and dmin: small positive values.
            BitConverter.TryWriteBytes(row.AsSpan(s * 144), (Half)(random.NextDouble() * 0.01 + 0.001));
            BitConverter.TryWriteBytes(row.AsSpan(s * 144 + 2), (Half)(random.NextDouble() * 0.01));
        }
        var format = GgmlQuantizedRows.FormatOf(GgmlType.Q4_K)!;
        var packed = new PackedMatrix(format, 1, k);
        GgmlQuantizedRows.Decode(GgmlType.Q4_K, row, k, packed, 0);
        var view = format.View(packed.Bytes, 1, k);
        var expected = DequantizeQ4K(row, k);
        for (var j = 0; j < k; j++) Assert.Equal(expected[j], view.Value(0, j));
    }

    [Fact]
    public void Types_without_an_llmc_format_have_none()
    {
        Assert.Null(GgmlQuantizedRows.FormatOf(GgmlType.Q6_K));
        Assert.Null(GgmlQuantizedRows.FormatOf(GgmlType.Q5_K));
        Assert.Equal(new QuantFormat(QuantScheme.Q8, 32), GgmlQuantizedRows.FormatOf(GgmlType.Q8_0));
    }

    private static float[] DequantizeQ4K(byte[] data, int k)
    {
        var y = new float[k];
        var at = 0;
        for (var s = 0; s < k / 256; s++)
        {
            var block = data.AsSpan(s * 144, 144);
            var d = (float)BitConverter.ToHalf(block[..2]);
            var dmin = (float)BitConverter.ToHalf(block[2..4]);
            var scales = block.Slice(4, 12).ToArray();
            var q = 16;
            for (int j = 0, sub = 0; j < 256; j += 64, sub += 2)
            {
                var (sc1, m1) = Get(sub, scales);
                var (sc2, m2) = Get(sub + 1, scales);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                for (var l = 0; l < 32; l++) y[at++] = d1 * (block[q + l] & 0xF) - min1;
                for (var l = 0; l < 32; l++) y[at++] = d2 * (block[q + l] >> 4) - min2;
                q += 32;
            }
        }
        return y;
    }

    private static (int Scale, int Min) Get(int j, byte[] q) =>
        j < 4 ? (q[j] & 63, q[j + 4] & 63) : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));
}
