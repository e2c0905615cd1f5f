using Llmc.Ir;
using Llmc.Runtime;

namespace Llmc.Compiler.Frontends.Safetensors;

/// <summary>One tensor of a safetensors file: its description and a view of its bytes in the mapping (valid until the file is disposed).</summary>
public sealed class SafetensorsTensor
{
    private readonly SafetensorsFile _owner;
    private readonly long _fileOffset;

    internal SafetensorsTensor(SafetensorsFile owner, string name, DType dtype, long[] shape, long fileOffset, long byteLength)
    {
        _owner = owner;
        _fileOffset = fileOffset;
        Name = name;
        DType = dtype;
        Shape = shape;
        ByteLength = byteLength;
    }

    public string Name { get; }

    public DType DType { get; }

    public long[] Shape { get; }

    /// <summary>Path of the file holding the tensor (a shard, for sharded models).</summary>
    public string File => _owner.Path;

    public long ByteLength { get; }

    public long ElementCount => ByteLength / DType.SizeOf();

    /// <summary>The stored bytes, little-endian, in place.</summary>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            if (ByteLength > int.MaxValue)
                throw new ModelFileException(File, $"tensor '{Name}' is {ByteLength} bytes, too large for one span");
            return _owner.Range(_fileOffset, (int)ByteLength);
        }
    }

    public float[] ToFloat32()
    {
        var result = new float[ElementCount];
        CopyToFloat32(result);
        return result;
    }

    /// <summary>
    /// Widens the stored values from element <paramref name="first"/> on into <paramref name="destination"/>, read from
    /// the mapping in place (so a tensor of over 2 GB is read a block at a time). Safetensors is little-endian, like
    /// every platform llmc runs on, so the bytes are reinterpreted where they lie.
    /// </summary>
    public void CopyToFloat32(long first, Span<float> destination)
    {
        if (first < 0 || first + destination.Length > ElementCount)
            throw new ArgumentOutOfRangeException(nameof(first), $"tensor '{Name}' has {ElementCount} elements, not {first} + {destination.Length}");
        var size = DType.SizeOf();
        for (var done = 0; done < destination.Length;)
        {
            var part = destination.Slice(done, Math.Min(ElementsPerRange, destination.Length - done));
            Weights.FloatWidening.Widen(DType, _owner.Range(_fileOffset + (first + done) * size, part.Length * size), part);
            done += part.Length;
        }
    }

    /// <summary>Elements widened from one range of the mapping: at most 1 GB of bytes, since a span's length is an int.</summary>
    private const int ElementsPerRange = 1 << 28;

    /// <summary>Widens the stored values into <paramref name="destination"/>, which must hold exactly <see cref="ElementCount"/> floats.</summary>
    public void CopyToFloat32(Span<float> destination)
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"tensor '{Name}' has {ElementCount} elements, the destination {destination.Length}", nameof(destination));
        CopyToFloat32(0, destination);
    }
}
