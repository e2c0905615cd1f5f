using Llmc.Compiler.Frontends.Gguf;
using Llmc.Compiler.Weights;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Tests.Frontends;

/// <summary>
/// The k-quants block by block, Q5_K having no golden file at all and Q4_K none of its own (llama.cpp's Q4_K_M mixes
/// in Q6_K): random super-blocks decoded into their llmc formats against ggml's dequantize_row_q4_K/q5_K/q6_K loops,
/// written out here as ggml's reference code walks a block (Q4_K and Q5_K 64 values at a time: the low nibbles of 32
/// bytes with one scale/min pair, then their high nibbles with the next; Q6_K 128 at a time, four values per step).
/// </summary>
public sealed class GgmlQuantizedRowsTests
{
    [Theory]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    public void K_quant_super_blocks_decode_to_the_values_ggml_dequantizes(GgmlType type)
    {
        const int k = 512;
        var blockBytes = BlockBytes[type];
        var random = new Random(7);
        var row = new byte[k / 256 * blockBytes];
        random.NextBytes(row);
        for (var s = 0; s < k / 256; s++)
        {
            // Finite f16 scales: small positive values (Q4_K/Q5_K: d and dmin first; Q6_K: d last, its int8 scales signed).
            var block = row.AsSpan(s * blockBytes, blockBytes);
            if (type == GgmlType.Q6_K) BitConverter.TryWriteBytes(block[208..], (Half)(random.NextDouble() * 0.01 + 0.001));
            else
            {
                BitConverter.TryWriteBytes(block, (Half)(random.NextDouble() * 0.01 + 0.001));
                BitConverter.TryWriteBytes(block[2..], (Half)(random.NextDouble() * 0.01));
            }
        }
        var format = GgmlQuantizedRows.FormatOf(type)!;
        var packed = new PackedMatrix(format, 1, k);
        GgmlQuantizedRows.Decode(type, row, k, packed, 0);
        var view = format.View(packed.Bytes, 1, k);
        var expected = type == GgmlType.Q6_K ? DequantizeQ6K(row, k) : DequantizeQ4KOrQ5K(row, k, fifthBit: type == GgmlType.Q5_K);
        for (var j = 0; j < k; j++) Assert.Equal(expected[j], view.Value(0, j));
    }

    [Fact]
    public void Types_without_an_llmc_format_have_none()
    {
        Assert.Null(GgmlQuantizedRows.FormatOf(GgmlType.Q5_0));
        Assert.Null(GgmlQuantizedRows.FormatOf(GgmlType.Q3_K));
        Assert.Equal(new QuantFormat(QuantScheme.Q8, 32), GgmlQuantizedRows.FormatOf(GgmlType.Q8_0));
    }

    private static readonly Dictionary<GgmlType, int> BlockBytes = new() { [GgmlType.Q4_K] = 144, [GgmlType.Q5_K] = 176, [GgmlType.Q6_K] = 210 };

    private static float[] DequantizeQ4KOrQ5K(byte[] data, int k, bool fifthBit)
    {
        var size = fifthBit ? 176 : 144;
        var y = new float[k];
        var at = 0;
        for (var s = 0; s < k / 256; s++)
        {
            var block = data.AsSpan(s * size, size);
            var d = (float)BitConverter.ToHalf(block[..2]);
            var dmin = (float)BitConverter.ToHalf(block[2..4]);
            var scales = block.Slice(4, 12).ToArray();
            var qh = fifthBit ? block.Slice(16, 32).ToArray() : new byte[32];
            var q = fifthBit ? 48 : 16;
            int u1 = 1, u2 = 2;
            for (int j = 0, sub = 0; j < 256; j += 64, sub += 2)
            {
                var (sc1, m1) = Get(sub, scales);
                var (sc2, m2) = Get(sub + 1, scales);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                for (var l = 0; l < 32; l++) y[at++] = d1 * ((block[q + l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - min1;
                for (var l = 0; l < 32; l++) y[at++] = d2 * ((block[q + l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - min2;
                q += 32;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
        return y;
    }

    private static float[] DequantizeQ6K(byte[] data, int k)
    {
        var y = new float[k];
        for (var s = 0; s < k / 256; s++)
        {
            var block = data.AsSpan(s * 210, 210);
            var d = (float)BitConverter.ToHalf(block[208..]);
            int ql = 0, qh = 128, sc = 192, at = s * 256;
            for (var n = 0; n < 256; n += 128)
            {
                for (var l = 0; l < 32; l++)
                {
                    var i = l / 16;
                    var q1 = (sbyte)((block[ql + l] & 0xF) | ((block[qh + l] >> 0 & 3) << 4)) - 32;
                    var q2 = (sbyte)((block[ql + l + 32] & 0xF) | ((block[qh + l] >> 2 & 3) << 4)) - 32;
                    var q3 = (sbyte)((block[ql + l] >> 4) | ((block[qh + l] >> 4 & 3) << 4)) - 32;
                    var q4 = (sbyte)((block[ql + l + 32] >> 4) | ((block[qh + l] >> 6 & 3) << 4)) - 32;
                    y[at + l] = d * (sbyte)block[sc + i] * q1;
                    y[at + l + 32] = d * (sbyte)block[sc + i + 2] * q2;
                    y[at + l + 64] = d * (sbyte)block[sc + i + 4] * q3;
                    y[at + l + 96] = d * (sbyte)block[sc + i + 6] * q4;
                }
                at += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
        return y;
    }

    private static (int Scale, int Min) Get(int j, byte[] q) =>
        j < 4 ? (q[j] & 63, q[j + 4] & 63) : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));
}
