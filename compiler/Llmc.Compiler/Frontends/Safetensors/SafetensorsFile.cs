using System.Buffers.Binary;
using Llmc.Runtime;
using Llmc.Runtime.Format;

namespace Llmc.Compiler.Frontends.Safetensors;

/// <summary>
/// One <c>.safetensors</c> file, memory-mapped read-only: a u64 little-endian header length N, N bytes of
/// JSON describing the tensors, then the tensor bytes. The header is validated completely on open, so every
/// tensor handed out lies inside the file and has the size its shape says.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    private const int LengthPrefixSize = 8;

    private readonly ReadOnlyMappedFile _file;

    private SafetensorsFile(string path, ReadOnlyMappedFile file)
    {
        Path = path;
        _file = file;
        if (file.Length < LengthPrefixSize)
            throw new ModelFileException(path, $"truncated: {file.Length} bytes, shorter than the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, LengthPrefixSize));
        if (headerLength > SafetensorsHeader.MaxLength)
            throw new ModelFileException(path, $"header length {headerLength} is absurd (limit {SafetensorsHeader.MaxLength}); is this a safetensors file?");
        if (LengthPrefixSize + (long)headerLength > file.Length)
            throw new ModelFileException(path, $"truncated: header says {headerLength} bytes, file has {file.Length}");

        var header = SafetensorsHeader.Parse(path, file.Span(LengthPrefixSize, (int)headerLength), LengthPrefixSize + (long)headerLength, file.Length);
        Metadata = header.Metadata;
        Tensors = header.Tensors.ToDictionary(
            t => t.Name,
            t => new SafetensorsTensor(this, t.Name, t.DType, t.Shape, t.FileOffset, t.ByteLength),
            StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>The free-form <c>__metadata__</c> strings (for example <c>format: pt</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors { get; }

    public static SafetensorsFile Open(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new ModelFileException(path, "not found");
        // Checked before mapping: an empty file cannot be mapped at all.
        if (info.Length < LengthPrefixSize)
            throw new ModelFileException(path, $"truncated: {info.Length} bytes, shorter than the 8-byte header length");

        var file = ReadOnlyMappedFile.Open(path);
        try
        {
            return new SafetensorsFile(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>A range the header parser already checked lies inside the file.</summary>
    internal ReadOnlySpan<byte> Range(long offset, int length) => _file.Span(offset, length);
}
