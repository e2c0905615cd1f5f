using System.Buffers.Binary;
using System.Text.Json;

namespace Llmc.Compiler.Synth;

/// <summary>
/// Writes a <c>.safetensors</c> file tensor by tensor: the header is computed from the shapes alone, so each tensor's bytes
/// can be produced and written one after another without ever holding the whole file in memory.
/// </summary>
public static class SafetensorsWriter
{
    /// <param name="writeData">Writes exactly <see cref="SafetensorsEntry.ByteLength"/> bytes of the given entry to the stream.</param>
    public static void Write(string path, IReadOnlyList<SafetensorsEntry> entries, Action<SafetensorsEntry, Stream> writeData)
    {
        var header = Header(entries);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        file.Write(length);
        file.Write(header);
        foreach (var entry in entries)
        {
            var start = file.Position;
            writeData(entry, file);
            if (file.Position - start != entry.ByteLength)
                throw new InvalidOperationException($"tensor '{entry.Name}' wrote {file.Position - start} bytes, its shape needs {entry.ByteLength}");
        }
    }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes so the data that follows stays aligned.</summary>
    private static byte[] Header(IReadOnlyList<SafetensorsEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", "pt");
            json.WriteEndObject();
            long offset = 0;
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.SafetensorsDType);
                json.WriteStartArray("shape");
                foreach (var dim in entry.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += entry.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
