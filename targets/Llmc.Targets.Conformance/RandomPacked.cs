using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Quantized weights with random scales, offsets and codes over each scheme's whole code range (super-blocked formats:
/// random super-block values and factors over the whole signed byte range): kernels are checked on the packed format
/// itself, independent of how the compiler chooses codes.
/// </summary>
public static class RandomPacked
{
    public static HostTensor Tensor(Random random, DType dtype, int n, int k)
    {
        var format = QuantFormat.Of(dtype);
        var packed = new byte[format.PackedBytes(n, k)];
        var planeCount = format.HasOffsets ? 2 : 1;
        var count = n * format.Groups(k) * planeCount;
        var planes = packed.AsSpan(0, count * format.ScaleBytes);
        if (format.IsSuperBlocked)
        {
            random.NextBytes(planes);
            // Super-block values a factor of up to 128 below the other formats' scales, so the groups' come out alike.
            var supers = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(packed.AsSpan((int)format.SupersOffset(n, k), n * format.Supers(k) * planeCount * sizeof(ushort)));
            for (var i = 0; i < supers.Length; i++) supers[i] = (Half)RandomScale(random, 0.1 / 128);
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                var value = RandomScale(random, 0.1);
                if (format.ScaleType == DType.F16) System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(planes)[i] = (Half)value;
                else System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(planes)[i] = value;
            }
        }
        // Padding codes included: whatever sits past K must not change the result.
        random.NextBytes(packed.AsSpan((int)format.CodesOffset(n, k)));
        return new HostTensor(dtype, [n, k], packed);
    }

    private static float RandomScale(Random random, double magnitude) => (float)((random.NextDouble() * 2 - 1) * magnitude);
}
