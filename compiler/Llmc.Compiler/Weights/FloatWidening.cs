using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Llmc.Ir;

namespace Llmc.Compiler.Weights;

/// <summary>Stored little-endian f32, f16 or bf16 values as f32, as safetensors and GGUF files both hold them.</summary>
public static class FloatWidening
{
    // Compiled optimized at once, as the quantizers are (GroupQuantizer.PackRow says why): a build widens every source
    // weight through it, and perf found it running unoptimized for most of a 1B q8 build.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen(DType stored, ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        switch (stored)
        {
            case DType.F32:
                bytes.CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes)[..destination.Length], destination);
                break;
            case DType.BF16:
                // bfloat16 is the upper half of an IEEE float32, so widening is a 16-bit shift.
                var upperHalves = MemoryMarshal.Cast<byte, ushort>(bytes);
                var i = 0;
                for (; i + Vector256<ushort>.Count <= destination.Length; i += Vector256<ushort>.Count)
                {
                    var (low, high) = Vector256.Widen(Vector256.Create<ushort>(upperHalves.Slice(i, Vector256<ushort>.Count)));
                    (low << 16).AsSingle().CopyTo(destination[i..]);
                    (high << 16).AsSingle().CopyTo(destination[(i + Vector256<uint>.Count)..]);
                }
                for (; i < destination.Length; i++)
                    destination[i] = BitConverter.UInt32BitsToSingle((uint)upperHalves[i] << 16);
                break;
            default:
                throw new ArgumentException($"{stored} is not a float type to widen", nameof(stored));
        }
    }
}
