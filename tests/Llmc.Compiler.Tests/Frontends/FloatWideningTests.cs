using System.Runtime.InteropServices;
using Llmc.Compiler.Weights;
using Llmc.Ir;

namespace Llmc.Compiler.Tests.Frontends;

/// <summary>f16 and bf16 widen to exactly their values, through the vector loops and their scalar tails alike.</summary>
public sealed class FloatWideningTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(1037)]
    public void Every_bit_pattern_widens_to_its_value(int count)
    {
        // Random 16-bit patterns cover every exponent, subnormals, infinities and NaNs.
        var random = new Random(count);
        var patterns = Enumerable.Range(0, count).Select(_ => (ushort)random.Next(0, 65536)).ToArray();
        var bytes = MemoryMarshal.AsBytes(patterns.AsSpan()).ToArray();
        var widened = new float[count];

        FloatWidening.Widen(DType.F16, bytes, widened);
        for (var i = 0; i < count; i++)
        {
            var expected = (float)BitConverter.UInt16BitsToHalf(patterns[i]);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(widened[i]) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(widened[i]),
                $"f16 0x{patterns[i]:X4}: {widened[i]:R}, expected {expected:R}");
        }

        FloatWidening.Widen(DType.BF16, bytes, widened);
        for (var i = 0; i < count; i++)
            Assert.Equal((uint)patterns[i] << 16, BitConverter.SingleToUInt32Bits(widened[i]));
    }
}
