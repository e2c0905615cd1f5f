using System.Text;
using Llmc.Runtime.Format;

namespace Llmc.Compiler.Tests.Engine;

public sealed class Crc32CTests
{
    [Fact]
    public void CheckValueOfTheStandardString() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void EmptyInputIsZero() => Assert.Equal(0u, Crc32C.Compute([]));

    // RFC 3720 (iSCSI) appendix B.4 test vectors.
    [Fact]
    public void Rfc3720Vectors()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [Fact]
    public void AppendingPiecesEqualsComputingTheWhole()
    {
        var data = RandomBytes(100, seed: 1);
        var whole = Crc32C.Compute(data);
        for (var split = 0; split <= data.Length; split++)
            Assert.Equal(whole, Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
    }

    [Fact]
    public void HardwarePathAgreesWithTheTable()
    {
        // Lengths around the 8-byte stride exercise the tail handling of the hardware loop.
        // From 48 KiB the hardware path runs three chains of 16 KiB side by side and joins them: one block of three,
        // less and more, several blocks with a tail.
        foreach (var length in new[] { 0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4097, 49_151, 49_152, 49_153, 3 * 49_152 + 13 })
        {
            var data = RandomBytes(length, seed: length);
            Assert.Equal(Crc32C.AppendPortable(0, data), Crc32C.Compute(data));
            Assert.Equal(Crc32C.AppendPortable(0x12345678, data), Crc32C.Append(0x12345678, data));
        }
    }

    [Fact]
    public void CombiningTheCrcsOfTwoPiecesEqualsComputingTheWhole()
    {
        var data = RandomBytes(200_003, seed: 5);
        foreach (var split in new[] { 0, 1, 2, 7, 100, 4096, 65_537, 199_999, 200_003 })
        {
            var (a, b) = (data[..split], data[split..]);
            Assert.Equal(Crc32C.Compute(data), Crc32C.Combine(Crc32C.Compute(a), Crc32C.Compute(b), b.Length));
        }
        // The empty string's CRC is 0, which combines as nothing.
        Assert.Equal(Crc32C.Compute(data), Crc32C.Combine(0, Crc32C.Compute(data), data.Length));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
