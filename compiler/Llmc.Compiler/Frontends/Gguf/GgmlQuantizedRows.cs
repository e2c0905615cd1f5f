using System.Buffers.Binary;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Frontends.Gguf;

/// <summary>
/// ggml's quantized block types that an llmc format holds exactly, and their decoding into it: Q8_0 (f16 d, 32 int8 q:
/// d·q) is q8g32 with code q + 128; Q4_0 (f16 d, 32 nibbles: d·(q − 8)) is q4g32 as it is; Q4_1 (f16 d and m:
/// d·q + m) is q4ag32 (all three keep their f16 scales); Q4_K (super-blocks of 256 with f16 d, dmin and eight 6-bit
/// scale/min pairs: d·sc·q − dmin·m per 32 values) is q4ag32k with super-block scale d and offset −dmin and group
/// factors sc and m, as the file holds them; Q5_K (Q4_K's scales with a fifth bit per value) is q8ag32k the same way,
/// codes 0..31; Q6_K (f16 d and an int8 scale per 16 values: d·sc·(q − 32), q of 6 bits) is q8g16k with super-block
/// scale d, factors sc and code q + 96. Nibbles are stored as llmc stores them (byte i holds values i and i + 16 of 32)
/// for Q4_0 and Q4_1; Q4_K and Q5_K hold values l and l + 32 of each 64 in byte l. Q5_K and Q6_K take more bytes as
/// llmc codes than in the file (a byte per value): exact, but not yet as small. Other types have no llmc format and
/// are refused by name.
/// </summary>
public static class GgmlQuantizedRows
{
    /// <summary>The llmc format holding a ggml type's values exactly, or null.</summary>
    public static QuantFormat? FormatOf(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => new QuantFormat(QuantScheme.Q8, 32),
        GgmlType.Q4_0 => new QuantFormat(QuantScheme.Q4, 32),
        GgmlType.Q4_1 => new QuantFormat(QuantScheme.Q4A, 32),
        GgmlType.Q4_K => new QuantFormat(QuantScheme.Q4A, 32, SuperBlock: QuantFormat.KQuantSuperBlock),
        GgmlType.Q5_K => new QuantFormat(QuantScheme.Q8A, 32, SuperBlock: QuantFormat.KQuantSuperBlock),
        GgmlType.Q6_K => new QuantFormat(QuantScheme.Q8, 16, SuperBlock: QuantFormat.KQuantSuperBlock),
        _ => null,
    };

    /// <summary>Decodes file row <paramref name="source"/> (<paramref name="k"/> values of <paramref name="type"/>) into row <paramref name="row"/> of <paramref name="target"/>.</summary>
    public static void Decode(GgmlType type, ReadOnlySpan<byte> source, int k, PackedMatrix target, int row)
    {
        switch (type)
        {
            case GgmlType.Q8_0:
                for (var b = 0; b < k / 32; b++)
                {
                    var block = source.Slice(b * 34, 34);
                    target.SetGroup(row, b, (float)F16At(block, 0), 0f);
                    for (var i = 0; i < 32; i++) target.SetCode(row, b * 32 + i, (sbyte)block[2 + i] + 128);
                }
                break;
            case GgmlType.Q4_0:
            case GgmlType.Q4_1:
                var size = type == GgmlType.Q4_0 ? 18 : 20;
                for (var b = 0; b < k / 32; b++)
                {
                    var block = source.Slice(b * size, size);
                    target.SetGroup(row, b, (float)F16At(block, 0), type == GgmlType.Q4_1 ? (float)F16At(block, 2) : 0f);
                    var nibbles = block[(size - 16)..];
                    for (var i = 0; i < 16; i++)
                    {
                        target.SetCode(row, b * 32 + i, nibbles[i] & 0xF);
                        target.SetCode(row, b * 32 + i + 16, nibbles[i] >> 4);
                    }
                }
                break;
            case GgmlType.Q4_K:
                for (var s = 0; s < k / 256; s++)
                    DecodeQ4K(source.Slice(s * 144, 144), highBits: default, target, row, s);
                break;
            case GgmlType.Q5_K:
                for (var s = 0; s < k / 256; s++)
                {
                    var block = source.Slice(s * 176, 176);
                    DecodeQ4K(block, highBits: block.Slice(16, 32), target, row, s);
                }
                break;
            case GgmlType.Q6_K:
                for (var s = 0; s < k / 256; s++)
                    DecodeQ6K(source.Slice(s * 210, 210), target, row, s);
                break;
            default:
                throw new ArgumentException($"{type} has no llmc format", nameof(type));
        }
    }

    /// <summary>
    /// A Q4_K super-block, or with <paramref name="highBits"/> a Q5_K one (whose 32 bytes of fifth bits sit between the
    /// scales and the nibbles): value l of 32-value group g has bit g of byte l as its bit 4.
    /// </summary>
    private static void DecodeQ4K(ReadOnlySpan<byte> block, ReadOnlySpan<byte> highBits, PackedMatrix target, int row, int super)
    {
        target.SetSuperBlock(row, super, F16At(block, 0), -F16At(block, 2));
        var firstGroup = super * 8;
        var scales = block.Slice(4, 12);
        var nibbles = block[(16 + highBits.Length)..];
        for (var chunk = 0; chunk < 4; chunk++)
        {
            for (var half = 0; half < 2; half++)
            {
                var group = 2 * chunk + half;
                var (sc, m) = ScaleAndMin(scales, group);
                target.SetGroupFactors(row, firstGroup + group, (sbyte)sc, (sbyte)m);
                for (var l = 0; l < 32; l++)
                {
                    var b = nibbles[chunk * 32 + l];
                    var high = highBits.IsEmpty ? 0 : (highBits[l] >> group & 1) << 4;
                    target.SetCode(row, (firstGroup + group) * 32 + l, (half == 0 ? b & 0xF : b >> 4) | high);
                }
            }
        }
    }

    /// <summary>
    /// A Q6_K super-block: 128 bytes of low nibbles, 64 of high bit pairs, 16 int8 scales, f16 d. Of each 128 values
    /// (half h), value 32·i + l (i &lt; 4, l &lt; 32) has its low nibble in byte 64·h + l + 32·(i % 2) (low nibble for i
    /// &lt; 2, high for i ≥ 2) and its high pair at bits 2·i of byte 32·h + l; its scale is that of its 16 values.
    /// </summary>
    private static void DecodeQ6K(ReadOnlySpan<byte> block, PackedMatrix target, int row, int super)
    {
        ReadOnlySpan<byte> low = block[..128], high = block.Slice(128, 64);
        var scales = block.Slice(192, 16);
        target.SetSuperBlock(row, super, F16At(block, 208), default);
        var firstGroup = super * 16;
        for (var group = 0; group < 16; group++) target.SetGroupFactors(row, firstGroup + group, (sbyte)scales[group], 0);
        for (var half = 0; half < 2; half++)
        {
            for (var i = 0; i < 4; i++)
            {
                for (var l = 0; l < 32; l++)
                {
                    var nibbleByte = low[64 * half + l + 32 * (i % 2)];
                    var q = (i < 2 ? nibbleByte & 0xF : nibbleByte >> 4) | (high[32 * half + l] >> (2 * i) & 3) << 4;
                    // q − 32 in q8's symmetric codes (code − 128).
                    target.SetCode(row, firstGroup * 16 + 128 * half + 32 * i + l, q + 96);
                }
            }
        }
    }

    /// <summary>ggml's 6-bit scale and min of sub-block <paramref name="j"/> (of 8), packed into 12 bytes.</summary>
    private static (int Scale, int Min) ScaleAndMin(ReadOnlySpan<byte> q, int j) =>
        j < 4
            ? (q[j] & 63, q[j + 4] & 63)
            : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    private static Half F16At(ReadOnlySpan<byte> bytes, int at) => BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]));
}
