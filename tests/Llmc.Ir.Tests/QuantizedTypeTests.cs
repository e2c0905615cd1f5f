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
    }

    [Fact]
    public void Packed_size_follows_the_documented_layout()
    {
        // K = 172, groups of 32: 6 groups, the last one 12 short; scales (and offsets) padded to 64 bytes, then codes.
        var q8 = new QuantFormat(QuantScheme.Q8, 32);
        Assert.Equal(6, q8.Groups(172));
        Assert.Equal(192, q8.CodeRowBytes(172));
        Assert.Equal(128 + 3 * 192L, q8.PackedBytes(3, 172)); // 3·6·4 = 72 bytes of scales, padded to 128
        var q4a = new QuantFormat(QuantScheme.Q4A, 64);
        Assert.Equal(64 + 2 * 96L, q4a.PackedBytes(2, 172)); // scales and offsets 2·3·4 each = 48 bytes, padded to 64
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
    public void Embedding_refuses_a_quantized_table()
    {
        var error = Assert.Throws<IrException>(() => Parser.Parse("""
            graph g {
              input %tokens: i32[seq]
              weight %table: q8g32[10, 64]
              %x: f32[seq, 64] = embedding(%table, %tokens)
              output %x
            }
            """));
        Assert.Contains("table must be a float tensor", error.Message);
    }
}
