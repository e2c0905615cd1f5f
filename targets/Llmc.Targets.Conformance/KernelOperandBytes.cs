using System.Runtime.InteropServices;
using Llmc.Ir;

namespace Llmc.Targets.Conformance;

/// <summary>
/// A host tensor in the form every target's kernels read it, and back: f32 and i32 as their words, packed tensors
/// (quantized weights, kv8 caches) as their bytes, f16/bf16 as 16-bit patterns. One form for all targets, so a case
/// hands every device the same bytes.
/// </summary>
public static class KernelOperandBytes
{
    public static byte[] Of(HostTensor tensor)
    {
        // Executors only read these bytes (they copy them to the device), so packed weights go as they are.
        if (tensor.P is { } packed) return packed;
        if (tensor.I is { } ints) return MemoryMarshal.AsBytes(ints.AsSpan()).ToArray();
        if (tensor.DType == DType.F32) return MemoryMarshal.AsBytes(tensor.Floats.AsSpan()).ToArray();
        var halves = tensor.Floats.Select(v => HalfFloats.Bits(tensor.DType, v)).ToArray();
        // Whole 32-bit words: GPU kernels read the last pair even when the count is odd.
        return [.. MemoryMarshal.AsBytes(halves.AsSpan()), .. new byte[halves.Length % 2 * 2]];
    }

    /// <summary>Copies a kernel's bytes of a state or result back into <paramref name="tensor"/> (packed or f32).</summary>
    public static void CopyBack(ReadOnlySpan<byte> bytes, HostTensor tensor)
    {
        if (tensor.P is { } packed) bytes[..packed.Length].CopyTo(packed);
        else MemoryMarshal.Cast<byte, float>(bytes)[..tensor.Length].CopyTo(tensor.Floats);
    }
}
