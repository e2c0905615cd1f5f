using System.Buffers.Binary;
using Llmc.Ir;

namespace Llmc.Compiler.Synth;

/// <summary>Stores float values as the little-endian bytes of a weight dtype, rounding to nearest even like PyTorch.</summary>
public static class WeightEncoding
{
    public static void Write(DType dtype, float value, Span<byte> destination)
    {
        switch (dtype)
        {
            case DType.F32:
                BinaryPrimitives.WriteSingleLittleEndian(destination, value);
                break;
            case DType.F16:
                BinaryPrimitives.WriteHalfLittleEndian(destination, (Half)value);
                break;
            case DType.BF16:
                BinaryPrimitives.WriteUInt16LittleEndian(destination, ToBFloat16(value));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "weights are f32, f16 or bf16");
        }
    }

    /// <summary>The upper 16 bits of the float, rounded to nearest even (values here are finite, so NaN needs no care).</summary>
    private static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}
