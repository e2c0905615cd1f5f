using Llmc.Runtime;
using Llmc.Runtime.Format;

namespace Llmc.Compiler.Frontends.Gguf;

/// <summary>
/// A GGUF model file (versions 1–3), memory-mapped: header, metadata and tensor infos are parsed on open; tensor
/// bytes stay in the mapping and are handed out as spans. Dispose to unmap.
/// </summary>
public sealed class GgufFile : IDisposable
{
    private const uint Magic = 0x46554747; // "GGUF" read little-endian
    private const uint DefaultAlignment = 32;
    private const int MaxDimensions = 4; // GGML_MAX_DIMS

    private readonly ReadOnlyMappedFile _file;
    private readonly Dictionary<string, GgufValue> _metadata;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    private GgufFile(string path, ReadOnlyMappedFile file, uint version, Dictionary<string, GgufValue> metadata,
        List<GgufTensorInfo> tensors, uint alignment, long dataOffset)
    {
        Path = path;
        _file = file;
        Version = version;
        _metadata = metadata;
        Tensors = tensors;
        _tensorsByName = tensors.ToDictionary(tensor => tensor.Name);
        Alignment = alignment;
        DataOffset = dataOffset;
    }

    public string Path { get; }

    public uint Version { get; }

    /// <summary>All key/value pairs, in file order.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata => _metadata;

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    public uint Alignment { get; }

    /// <summary>Absolute file offset where tensor data starts (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }

    public static GgufFile Open(string path)
    {
        var length = File.Exists(path) ? new FileInfo(path).Length : throw new ModelFileException(path, "file not found");
        // Magic, version, tensor count and key count are the least a GGUF file can hold.
        if (length < 4 + 4 + 4 + 4)
            throw new ModelFileException(path, $"file is too short to be GGUF ({length} bytes)");

        ReadOnlyMappedFile file;
        try
        {
            file = ReadOnlyMappedFile.Open(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(path, $"cannot be opened: {ex.Message}", ex);
        }
        try
        {
            return Parse(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public bool Contains(string key) => _metadata.ContainsKey(key);

    public string GetString(string key) => Expect<string>(key, GgufValueType.String);

    public string? GetString(string key, string? defaultValue) => Contains(key) ? GetString(key) : defaultValue;

    /// <summary>Any integer-typed value, widened to 64 bits.</summary>
    public long GetInt64(string key)
    {
        var value = Require(key);
        return value.Type switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16 or GgufValueType.Int16
                or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Int64 => Convert.ToInt64(value.Value),
            GgufValueType.UInt64 when (ulong)value.Value <= long.MaxValue => (long)(ulong)value.Value,
            _ => throw WrongType(key, value, "an integer"),
        };
    }

    public long GetInt64(string key, long defaultValue) => Contains(key) ? GetInt64(key) : defaultValue;

    /// <summary>A float or integer value as a double.</summary>
    public double GetFloat64(string key)
    {
        var value = Require(key);
        return value.Type switch
        {
            GgufValueType.Float32 => (float)value.Value,
            GgufValueType.Float64 => (double)value.Value,
            GgufValueType.Array or GgufValueType.String or GgufValueType.Bool => throw WrongType(key, value, "a number"),
            _ => GetInt64(key),
        };
    }

    public double GetFloat64(string key, double defaultValue) => Contains(key) ? GetFloat64(key) : defaultValue;

    public bool GetBool(string key) => Expect<bool>(key, GgufValueType.Bool);

    public bool GetBool(string key, bool defaultValue) => Contains(key) ? GetBool(key) : defaultValue;

    public string[] GetStringArray(string key) => ExpectArray<string>(key, GgufValueType.String);

    public float[] GetFloat32Array(string key) => ExpectArray<float>(key, GgufValueType.Float32);

    /// <summary>An array of any integer type whose values all fit in 32 bits.</summary>
    public int[] GetInt32Array(string key)
    {
        var value = Require(key);
        if (value.Type != GgufValueType.Array || value.ElementType is GgufValueType.Array or GgufValueType.String
            or GgufValueType.Float32 or GgufValueType.Float64 or GgufValueType.Bool)
            throw WrongType(key, value, "an integer array");
        var source = (Array)value.Value;
        var result = new int[source.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var element = Convert.ToDecimal(source.GetValue(i));
            result[i] = element is >= int.MinValue and <= int.MaxValue
                ? (int)element
                : throw new ModelFileException(Path, $"metadata '{key}'[{i}] = {element} does not fit in 32 bits");
        }
        return result;
    }

    public GgufTensorInfo GetTensor(string name) =>
        _tensorsByName.TryGetValue(name, out var tensor) ? tensor : throw new ModelFileException(Path, $"has no tensor '{name}'");

    public bool TryGetTensor(string name, out GgufTensorInfo tensor) => _tensorsByName.TryGetValue(name, out tensor!);

    /// <summary>The tensor's bytes inside the mapping, valid until this file is disposed.</summary>
    public ReadOnlySpan<byte> GetTensorData(GgufTensorInfo tensor)
    {
        if (tensor.ByteSize > int.MaxValue)
            throw new ModelFileException(Path, $"tensor '{tensor.Name}' is {tensor.ByteSize} bytes, too large for one span");
        return _file.Span(DataOffset + tensor.Offset, (int)tensor.ByteSize);
    }

    public void Dispose() => _file.Dispose();

    private GgufValue Require(string key) =>
        _metadata.TryGetValue(key, out var value) ? value : throw new ModelFileException(Path, $"metadata '{key}' is missing");

    private T Expect<T>(string key, GgufValueType type)
    {
        var value = Require(key);
        return value.Type == type ? (T)value.Value : throw WrongType(key, value, type.ToString());
    }

    private T[] ExpectArray<T>(string key, GgufValueType elementType)
    {
        var value = Require(key);
        return value.Type == GgufValueType.Array && value.ElementType == elementType
            ? (T[])value.Value
            : throw WrongType(key, value, $"an array of {elementType}");
    }

    private ModelFileException WrongType(string key, GgufValue value, string expected) =>
        new(Path, $"metadata '{key}' is {value}, expected {expected}");

    private static GgufFile Parse(string path, ReadOnlyMappedFile file)
    {
        var reader = new GgufReader(file, path);
        var magic = reader.ReadUInt32();
        if (magic != Magic)
            throw new ModelFileException(path, $"not a GGUF file (magic 0x{magic:X8}, expected 0x{Magic:X8} \"GGUF\")");
        var version = reader.ReadUInt32();
        if (version is < 1 or > 3)
            throw new ModelFileException(path, $"unsupported GGUF version {version} (supported: 1, 2, 3)");
        reader.Uses32BitCounts = version == 1;

        // Each tensor info takes at least 4 bytes of name length, dimension count, type and offset; each key/value 9.
        var tensorCount = reader.ReadCount(minimumBytesPerItem: 16);
        var metadataCount = reader.ReadCount(minimumBytesPerItem: 9);

        var metadata = new Dictionary<string, GgufValue>();
        for (var i = 0; i < metadataCount; i++)
        {
            reader.Context = $"metadata entry {i}";
            var key = reader.ReadString();
            reader.Context = $"metadata '{key}'";
            var type = (GgufValueType)reader.ReadUInt32();
            if (!metadata.TryAdd(key, ReadValue(reader, type)))
                throw reader.Corrupt("key appears twice");
        }

        var alignment = ReadAlignment(path, metadata);
        var tensors = new List<GgufTensorInfo>();
        var names = new HashSet<string>();
        for (var i = 0; i < tensorCount; i++)
        {
            reader.Context = $"tensor info {i}";
            var tensor = ReadTensorInfo(reader, alignment);
            if (!names.Add(tensor.Name))
                throw reader.Corrupt($"tensor '{tensor.Name}' appears twice");
            tensors.Add(tensor);
        }

        var dataOffset = (reader.Position + alignment - 1) / alignment * alignment;
        foreach (var tensor in tensors)
        {
            var end = dataOffset + tensor.Offset + tensor.ByteSize;
            if (end > file.Length)
                throw new ModelFileException(path,
                    $"tensor '{tensor.Name}' data (bytes {dataOffset + tensor.Offset}..{end}) runs past the end of the file ({file.Length} bytes); the file is truncated");
        }
        return new GgufFile(path, file, version, metadata, tensors, alignment, dataOffset);
    }

    private static uint ReadAlignment(string path, Dictionary<string, GgufValue> metadata)
    {
        if (!metadata.TryGetValue("general.alignment", out var value))
            return DefaultAlignment;
        return value is { Type: GgufValueType.UInt32, Value: uint alignment } && alignment != 0 && (alignment & (alignment - 1)) == 0
            ? alignment
            : throw new ModelFileException(path, $"general.alignment is {value}, expected a power-of-two uint32");
    }

    private static GgufTensorInfo ReadTensorInfo(GgufReader reader, uint alignment)
    {
        var name = reader.ReadString();
        reader.Context = $"tensor '{name}' info";
        var dimensionCount = reader.ReadUInt32();
        if (dimensionCount is 0 or > MaxDimensions)
            throw reader.Corrupt($"{dimensionCount} dimensions (ggml supports 1 to {MaxDimensions})");
        var dimensions = new long[dimensionCount];
        for (var d = 0; d < dimensionCount; d++)
        {
            // Version 1 stored dimensions as 32-bit like its other counts.
            var size = reader.Uses32BitCounts ? reader.ReadUInt32() : reader.ReadUInt64();
            dimensions[d] = size <= long.MaxValue ? (long)size : throw reader.Corrupt($"dimension {d} has implausible size {size}");
        }
        var type = (GgmlType)reader.ReadUInt32();
        var offset = reader.ReadUInt64();

        if (!GgmlTypeLayout.TryGet(type, out var blockElements, out var blockBytes))
            throw reader.Corrupt($"unknown ggml type {(uint)type}");
        if (dimensions[0] % blockElements != 0)
            throw reader.Corrupt($"innermost dimension {dimensions[0]} is not a multiple of the {type} block size {blockElements}");
        if (offset % alignment != 0)
            throw reader.Corrupt($"data offset {offset} is not a multiple of the alignment {alignment}");
        if (offset > long.MaxValue / 2)
            throw reader.Corrupt($"implausible data offset {offset}");

        // Checked after every factor: below 2^62 times a 63-bit dimension cannot overflow Int128.
        var byteSize = (Int128)(dimensions[0] / blockElements) * blockBytes;
        for (var d = 1; d <= dimensionCount; d++)
        {
            if (byteSize > long.MaxValue / 2)
                throw reader.Corrupt($"implausible size of {type} tensor with dimensions [{string.Join(", ", dimensions)}]");
            if (d < dimensionCount)
                byteSize *= dimensions[d];
        }
        return new GgufTensorInfo(name, dimensions, type, (long)offset, (long)byteSize);
    }

    private static GgufValue ReadValue(GgufReader reader, GgufValueType type) => type switch
    {
        GgufValueType.Array => ReadArray(reader),
        _ => new GgufValue(type, ReadScalar(reader, type)),
    };

    private static object ReadScalar(GgufReader reader, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => reader.ReadUInt8(),
        GgufValueType.Int8 => reader.ReadInt8(),
        GgufValueType.UInt16 => reader.ReadUInt16(),
        GgufValueType.Int16 => reader.ReadInt16(),
        GgufValueType.UInt32 => reader.ReadUInt32(),
        GgufValueType.Int32 => reader.ReadInt32(),
        GgufValueType.Float32 => reader.ReadFloat32(),
        GgufValueType.Bool => reader.ReadBool(),
        GgufValueType.String => reader.ReadString(),
        GgufValueType.UInt64 => reader.ReadUInt64(),
        GgufValueType.Int64 => reader.ReadInt64(),
        GgufValueType.Float64 => reader.ReadFloat64(),
        _ => throw reader.Corrupt($"unknown value type {(uint)type}"),
    };

    private static GgufValue ReadArray(GgufReader reader)
    {
        var elementType = (GgufValueType)reader.ReadUInt32();
        var count = (int)reader.ReadCount(MinimumBytes(reader, elementType));
        Array values = elementType switch
        {
            GgufValueType.UInt8 => Fill(count, reader.ReadUInt8),
            GgufValueType.Int8 => Fill(count, reader.ReadInt8),
            GgufValueType.UInt16 => Fill(count, reader.ReadUInt16),
            GgufValueType.Int16 => Fill(count, reader.ReadInt16),
            GgufValueType.UInt32 => Fill(count, reader.ReadUInt32),
            GgufValueType.Int32 => Fill(count, reader.ReadInt32),
            GgufValueType.Float32 => Fill(count, reader.ReadFloat32),
            GgufValueType.Bool => Fill(count, reader.ReadBool),
            GgufValueType.String => Fill(count, reader.ReadString),
            GgufValueType.UInt64 => Fill(count, reader.ReadUInt64),
            GgufValueType.Int64 => Fill(count, reader.ReadInt64),
            GgufValueType.Float64 => Fill(count, reader.ReadFloat64),
            GgufValueType.Array => Fill(count, () => ReadArray(reader)),
            _ => throw reader.Corrupt($"array of unknown value type {(uint)elementType}"),
        };
        return new GgufValue(GgufValueType.Array, values, elementType);
    }

    private static int MinimumBytes(GgufReader reader, GgufValueType elementType) => elementType switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.String => reader.Uses32BitCounts ? 4 : 8,
        GgufValueType.Array => reader.Uses32BitCounts ? 8 : 12,
        _ => 8,
    };

    private static T[] Fill<T>(int count, Func<T> read)
    {
        var values = new T[count];
        for (var i = 0; i < count; i++)
            values[i] = read();
        return values;
    }
}
