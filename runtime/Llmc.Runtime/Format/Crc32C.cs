using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Llmc.Runtime.Format;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of engine sections.
/// Chosen over CRC-32 because x86 (SSE4.2) and ARMv8 compute it in hardware, so checking
/// gigabytes of weights on every load stays cheap.
/// </summary>
public static class Crc32C
{
    private const uint ReflectedPolynomial = 0x82F63B78;

    private static readonly uint[] ByteTable = BuildByteTable();

    /// <summary>Whether <see cref="Append"/> uses a CPU instruction rather than the table.</summary>
    public static bool IsHardwareAccelerated => Sse42.X64.IsSupported || Crc32.Arm64.IsSupported;

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Continues a checksum: <c>Append(Compute(a), b) == Compute(a + b)</c>. Start with 0.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
            return ~AppendSse42(~crc, data);
        if (Crc32.Arm64.IsSupported)
            return ~AppendArm64(~crc, data);
        return ~AppendTable(~crc, data);
    }

    /// <summary>The table-driven implementation, public so tests can hold the hardware path against it.</summary>
    public static uint AppendPortable(uint crc, ReadOnlySpan<byte> data) => ~AppendTable(~crc, data);

    /// <summary>
    /// The CRC-32C of a followed by b from the CRC-32C of each and b's length: crc(a) shifted over |b| zero bytes,
    /// plus crc(b) (the initial and final inversions cancel), so chunks can be checksummed apart and joined.
    /// </summary>
    public static uint Combine(uint crcA, uint crcB, long lengthB) => ShiftOverZeros(crcA, lengthB) ^ crcB;

    /// <summary>
    /// The hardware instruction takes 3 cycles and accepts one every cycle, so one chain over the data runs at a third
    /// of its rate: blocks of <see cref="LaneBytes"/> × 3 go as three independent chains, joined by shifting the
    /// first two over the bytes after them (the raw register is linear over GF(2)). Compiled optimized at once: an
    /// engine's load runs it over every byte and it would otherwise start unoptimized.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint AppendSse42(uint state, ReadOnlySpan<byte> data)
    {
        ulong wide = state;
        while (data.Length >= 3 * LaneBytes)
        {
            var (first, second, third) = (wide, 0ul, 0ul);
            for (var at = 0; at < LaneBytes; at += 8)
            {
                first = Sse42.X64.Crc32(first, BinaryPrimitives.ReadUInt64LittleEndian(data[at..]));
                second = Sse42.X64.Crc32(second, BinaryPrimitives.ReadUInt64LittleEndian(data[(LaneBytes + at)..]));
                third = Sse42.X64.Crc32(third, BinaryPrimitives.ReadUInt64LittleEndian(data[(2 * LaneBytes + at)..]));
            }
            wide = MultiplyModP(ShiftTwoLanes, (uint)first) ^ MultiplyModP(ShiftOneLane, (uint)second) ^ (uint)third;
            data = data[(3 * LaneBytes)..];
        }
        while (data.Length >= 8)
        {
            wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        state = (uint)wide;
        foreach (var b in data)
            state = Sse42.Crc32(state, b);
        return state;
    }

    /// <summary>Bytes of each of the three chains; large enough that joining them (two multiplications) costs little.</summary>
    private const int LaneBytes = 16 * 1024;

    // x^k mod P, k = 2^i for i = 0..63 (x^1 is bit 30 in the reflected order, where bit 31 is x^0): powers of x by squaring.
    private static readonly uint[] PowersOfX = BuildPowersOfX();

    private static readonly uint ShiftOneLane = XToThe8N(LaneBytes), ShiftTwoLanes = XToThe8N(2 * LaneBytes);

    /// <summary>A raw register or CRC carried over <paramref name="bytes"/> zero bytes: times x^(8·bytes) mod P.</summary>
    private static uint ShiftOverZeros(uint crc, long bytes) => MultiplyModP(XToThe8N(bytes), crc);

    /// <summary>x^(8n) mod P, from the powers x^(2^i) of the bits of 8n.</summary>
    private static uint XToThe8N(long n)
    {
        var product = 1u << 31;
        for (var i = 3; n != 0; n >>= 1, i++)
            if ((n & 1) != 0) product = MultiplyModP(PowersOfX[i], product);
        return product;
    }

    /// <summary>a·b mod P for polynomials in the reflected order (bit 31 is x^0): b times each term of a, b × x per step.</summary>
    private static uint MultiplyModP(uint a, uint b)
    {
        var product = 0u;
        for (var term = 1u << 31; term != 0; term >>= 1)
        {
            if ((a & term) != 0) product ^= b;
            b = (b & 1) != 0 ? (b >> 1) ^ ReflectedPolynomial : b >> 1;
        }
        return product;
    }

    private static uint[] BuildPowersOfX()
    {
        var powers = new uint[64];
        powers[0] = 1u << 30;
        for (var i = 1; i < powers.Length; i++) powers[i] = MultiplyModP(powers[i - 1], powers[i - 1]);
        return powers;
    }

    private static uint AppendArm64(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            state = Crc32.Arm64.ComputeCrc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
            state = Crc32.ComputeCrc32C(state, b);
        return state;
    }

    private static uint AppendTable(uint state, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
            state = ByteTable[(byte)(state ^ b)] ^ (state >> 8);
        return state;
    }

    private static uint[] BuildByteTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var entry = i;
            for (var bit = 0; bit < 8; bit++)
                entry = (entry & 1) != 0 ? (entry >> 1) ^ ReflectedPolynomial : entry >> 1;
            table[i] = entry;
        }
        return table;
    }
}
