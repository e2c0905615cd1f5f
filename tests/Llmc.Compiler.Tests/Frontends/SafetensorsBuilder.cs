using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Llmc.Compiler.Tests.Frontends;

/// <summary>Builds safetensors files by hand, including deliberately broken ones.</summary>
internal sealed class SafetensorsBuilder
{
    private readonly JsonObject _header = new();
    private readonly MemoryStream _data = new();

    public SafetensorsBuilder Add(string name, string dtype, long[] shape, ReadOnlySpan<byte> bytes)
    {
        var begin = _data.Length;
        _data.Write(bytes);
        _header[name] = new JsonObject
        {
            ["dtype"] = dtype,
            ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
            ["data_offsets"] = new JsonArray(begin, _data.Length),
        };
        return this;
    }

    /// <summary>Edits the header entry of a tensor after it was added, to produce inconsistent files.</summary>
    public SafetensorsBuilder Edit(string name, Action<JsonObject> edit)
    {
        edit(_header[name]!.AsObject());
        return this;
    }

    public byte[] Build()
    {
        var json = Encoding.UTF8.GetBytes(_header.ToJsonString());
        return [.. LengthPrefix(json.Length), .. json, .. _data.ToArray()];
    }

    public static byte[] LengthPrefix(long headerLength)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)headerLength);
        return prefix;
    }
}
