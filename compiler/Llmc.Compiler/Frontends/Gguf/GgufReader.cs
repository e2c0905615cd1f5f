using System.Buffers.Binary;
using System.Text;
using Llmc.Runtime;
using Llmc.Runtime.Format;

namespace Llmc.Compiler.Frontends.Gguf;

/// <summary>
/// A bounds-checked little-endian cursor over a mapped GGUF file. Every read past the end becomes a
/// <see cref="ModelFileException"/> that says what was being read, so a truncated file is reported, not crashed on.
/// </summary>
internal sealed class GgufReader(ReadOnlyMappedFile file, string path)
{
    public long Position { get; set; }

    /// <summary>Version 1 wrote counts and string lengths as 32-bit; versions 2 and 3 use 64-bit.</summary>
    public bool Uses32BitCounts { get; set; }

    /// <summary>What is being read, for error messages ("metadata key 3", "tensor 'x' info").</summary>
    public string Context { get; set; } = "header";

    public long Remaining => file.Length - Position;

    public byte ReadUInt8() => Take(1)[0];

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public short ReadInt16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public float ReadFloat32() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public bool ReadBool()
    {
        var value = Take(1)[0];
        return value <= 1 ? value == 1 : throw Corrupt($"bool value {value} is neither 0 nor 1");
    }

    /// <summary>A count or length, checked against the bytes left so a corrupt value cannot cause a huge allocation.</summary>
    public long ReadCount(int minimumBytesPerItem)
    {
        var count = Uses32BitCounts ? ReadUInt32() : ReadUInt64();
        if (count > (ulong)Remaining / (ulong)Math.Max(minimumBytesPerItem, 1))
            throw Corrupt($"count {count} needs more bytes than the {Remaining} left in the file (truncated or corrupt)");
        return (long)count;
    }

    public string ReadString()
    {
        var length = (int)ReadCount(1);
        return Encoding.UTF8.GetString(Take(length));
    }

    public ModelFileException Corrupt(string problem) => new(path, $"{Context} at offset {Position}: {problem}");

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
            throw Corrupt($"file is truncated: needs {count} more bytes but the file ends at {file.Length}");
        var span = file.Span(Position, count);
        Position += count;
        return span;
    }
}
