using System.Runtime.InteropServices;
using Llmc.Ir;

namespace Llmc.Compiler.Weights;

/// <summary>Stored little-endian f32, f16 or bf16 values as f32, as safetensors and GGUF files both hold them.</summary>
public static class FloatWidening
{
    public static void Widen(DType stored, ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        switch (stored)
        {
            case DType.F32:
                bytes.CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case DType.F16:
                var halves = MemoryMarshal.Cast<byte, Half>(bytes);
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = (float)halves[i];
                break;
            case DType.BF16:
                // bfloat16 is the upper half of an IEEE float32, so widening is a 16-bit shift.
                var upperHalves = MemoryMarshal.Cast<byte, ushort>(bytes);
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.UInt32BitsToSingle((uint)upperHalves[i] << 16);
                break;
            default:
                throw new ArgumentException($"{stored} is not a float type to widen", nameof(stored));
        }
    }
}
