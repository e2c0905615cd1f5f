using System.Buffers.Binary;
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

    private static uint AppendSse42(uint state, ReadOnlySpan<byte> data)
    {
        ulong wide = state;
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
