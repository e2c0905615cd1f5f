using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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

    /// <summary>Every value as <see cref="DType.F16"/> or <see cref="DType.BF16"/> bits, rounded to nearest even, eight at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // as FloatWidening.Widen: every f16/bf16 weight of a build
    public static void WriteHalves(DType dtype, ReadOnlySpan<float> values, Span<ushort> destination)
    {
        if (dtype == DType.F16)
        {
            TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<ushort, Half>(destination));
            return;
        }
        if (dtype != DType.BF16) throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "f16 or bf16");
        var i = 0;
        for (; i + Vector256<uint>.Count <= values.Length; i += Vector256<uint>.Count)
        {
            var bits = Vector256.Create<float>(values.Slice(i, Vector256<uint>.Count)).AsUInt32();
            var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
            Vector256.Narrow(rounded, Vector256<uint>.Zero).GetLower().CopyTo(destination[i..]);
        }
        for (; i < values.Length; i++) destination[i] = ToBFloat16(values[i]);
    }

    /// <summary>The upper 16 bits of the float, rounded to nearest even (values here are finite, so NaN needs no care).</summary>
    private static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}
