using System.Buffers.Binary;

namespace Llmc.Runtime.Format;

/// <summary>
/// The fixed 64-byte header at the start of an engine file (little-endian):
/// magic <c>LLMCENG\0</c> (0..7), u32 version (8), u32 flags (12), u64 manifest offset (16),
/// u64 manifest length (24), u32 manifest CRC-32C (32), zeros to byte 64.
/// </summary>
public readonly record struct EngineHeader(uint Version, uint Flags, long ManifestOffset, long ManifestLength, uint ManifestCrc32C)
{
    public const uint CurrentVersion = 3;

    public static ReadOnlySpan<byte> Magic => "LLMCENG\0"u8;

    public void WriteTo(Span<byte> destination)
    {
        var header = destination[..EngineLayout.HeaderSize];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], Flags);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], ManifestOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], ManifestLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[32..], ManifestCrc32C);
    }

    /// <summary>Reads the fields; the caller checks the magic first, since a foreign file has no meaningful fields.</summary>
    public static EngineHeader Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[12..]),
        BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
        BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[32..]));
}
