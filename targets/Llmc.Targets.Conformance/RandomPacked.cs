using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Quantized weights with random scales, offsets and codes over each scheme's whole code range: kernels are checked on
/// the packed format itself, independent of how the compiler chooses codes.
/// </summary>
public static class RandomPacked
{
    public static HostTensor Tensor(Random random, DType dtype, int n, int k)
    {
        var format = QuantFormat.Of(dtype);
        var packed = new byte[format.PackedBytes(n, k)];
        var floats = n * format.Groups(k) * (format.HasOffsets ? 2 : 1);
        var planes = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(packed.AsSpan(0, floats * sizeof(float)));
        for (var i = 0; i < planes.Length; i++) planes[i] = (float)((random.NextDouble() * 2 - 1) * 0.1);
        // Padding codes included: whatever sits past K must not change the result.
        random.NextBytes(packed.AsSpan((int)format.CodesOffset(n, k)));
        return new HostTensor(dtype, [n, k], packed);
    }
}
