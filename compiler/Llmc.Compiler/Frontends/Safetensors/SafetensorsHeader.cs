using System.Text.Json;
using Llmc.Ir;
using Llmc.Runtime;

namespace Llmc.Compiler.Frontends.Safetensors;

/// <summary>
/// The validated JSON header of a safetensors file:
/// <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>,
/// offsets relative to the first byte after the header.
/// </summary>
internal sealed record SafetensorsHeader(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<SafetensorsHeader.TensorLayout> Tensors)
{
    /// <summary>The same limit the reference implementation uses; a larger length means a foreign or corrupt file.</summary>
    public const ulong MaxLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private static readonly Dictionary<string, DType> SupportedDTypes = new(StringComparer.Ordinal)
    {
        ["F32"] = DType.F32,
        ["F16"] = DType.F16,
        ["BF16"] = DType.BF16,
    };

    public sealed record TensorLayout(string Name, DType DType, long[] Shape, long FileOffset, long ByteLength);

    public static SafetensorsHeader Parse(string path, ReadOnlySpan<byte> json, long dataStart, long fileLength)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new ModelFileException(path, $"header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFileException(path, "header is not a JSON object");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<TensorLayout>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                    ReadMetadata(path, property.Value, metadata);
                else if (tensors.Any(t => t.Name == property.Name))
                    throw new ModelFileException(path, $"tensor '{property.Name}' appears twice in the header");
                else
                    tensors.Add(ReadTensor(path, property.Name, property.Value, dataStart, fileLength));
            }
            CheckNoOverlap(path, tensors);
            return new SafetensorsHeader(metadata, tensors);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new ModelFileException(path, "header __metadata__ is not an object");
        foreach (var entry in value.EnumerateObject())
            metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
    }

    private static TensorLayout ReadTensor(string path, string name, JsonElement entry, long dataStart, long fileLength)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw new ModelFileException(path, $"tensor '{name}' entry is not an object");

        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new ModelFileException(path, $"tensor '{name}' has no dtype string");
        var dtypeName = dtypeElement.GetString()!;
        if (!SupportedDTypes.TryGetValue(dtypeName, out var dtype))
            throw new ModelFileException(path, $"tensor '{name}' has unsupported dtype {dtypeName} (supported: {string.Join(", ", SupportedDTypes.Keys)})");

        var shape = ReadNonNegativeIntegers(path, name, entry, "shape", count: null);
        var offsets = ReadNonNegativeIntegers(path, name, entry, "data_offsets", count: 2);
        var (begin, end) = (offsets[0], offsets[1]);
        if (end < begin)
            throw new ModelFileException(path, $"tensor '{name}' data_offsets [{begin}, {end}] end before they begin");
        if (end > fileLength - dataStart)
            throw new ModelFileException(path, $"tensor '{name}' data ends at byte {(ulong)dataStart + (ulong)end} but the file has only {fileLength}");

        var expected = ExpectedByteLength(path, name, shape, dtype);
        if (end - begin != expected)
            throw new ModelFileException(path, $"tensor '{name}' has {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtypeName} needs {expected}");
        return new TensorLayout(name, dtype, shape, dataStart + begin, end - begin);
    }

    private static long[] ReadNonNegativeIntegers(string path, string tensor, JsonElement entry, string field, int? count)
    {
        if (!entry.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new ModelFileException(path, $"tensor '{tensor}' has no {field} array");
        if (count is { } n && array.GetArrayLength() != n)
            throw new ModelFileException(path, $"tensor '{tensor}' {field} must have {n} entries, has {array.GetArrayLength()}");
        var values = new long[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var value) || value < 0)
                throw new ModelFileException(path, $"tensor '{tensor}' {field} holds {item.GetRawText()}, not a non-negative integer");
            values[i++] = value;
        }
        return values;
    }

    private static long ExpectedByteLength(string path, string name, long[] shape, DType dtype)
    {
        try
        {
            return checked(shape.Aggregate(1L, (product, dim) => product * dim) * dtype.SizeOf());
        }
        catch (OverflowException)
        {
            throw new ModelFileException(path, $"tensor '{name}' shape [{string.Join(", ", shape)}] is absurdly large");
        }
    }

    private static void CheckNoOverlap(string path, List<TensorLayout> tensors)
    {
        // Empty tensors occupy no bytes and may sit anywhere, even at another tensor's start.
        var ordered = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.FileOffset).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            var (previous, current) = (ordered[i - 1], ordered[i]);
            if (current.FileOffset < previous.FileOffset + previous.ByteLength)
                throw new ModelFileException(path, $"tensors '{previous.Name}' and '{current.Name}' overlap");
        }
    }
}
