using System.Text;
using Llmc.Compiler.Frontends.Gguf;

namespace Llmc.EndToEnd.Tests.Gguf;

/// <summary>
/// Writes a copy of a GGUF file (version 3) with some tensors in another type: its metadata as read, then every tensor
/// with its data, transcoded by the caller where it chooses. For types the golden files lack (Q5_K), made from ones
/// they have.
/// </summary>
public static class GgufTranscoding
{
    /// <param name="transcode">For a tensor to change: its new type and data; null keeps the tensor as it is.</param>
    public static void Write(string source, string target, Func<GgufTensorInfo, ReadOnlySpan<byte>, (GgmlType Type, byte[] Data)?> transcode)
    {
        using var file = GgufFile.Open(source);
        var tensors = file.Tensors.Select(t =>
        {
            var data = file.GetTensorData(t);
            return transcode(t, data) is { } changed ? (t.Name, t.Dimensions, changed.Type, changed.Data) : (t.Name, t.Dimensions, t.Type, data.ToArray());
        }).ToList();
        using var output = new BinaryWriter(File.Create(target));
        output.Write(Encoding.ASCII.GetBytes("GGUF"));
        output.Write(3u);
        output.Write((ulong)tensors.Count);
        output.Write((ulong)file.Metadata.Count);
        foreach (var (key, value) in file.Metadata)
        {
            WriteString(output, key);
            output.Write((uint)value.Type);
            WriteValue(output, value);
        }
        var offset = 0L;
        var offsets = new List<long>();
        foreach (var (name, dimensions, type, data) in tensors)
        {
            WriteString(output, name);
            output.Write((uint)dimensions.Length);
            foreach (var d in dimensions) output.Write((ulong)d);
            output.Write((uint)type);
            output.Write((ulong)offset);
            offsets.Add(offset);
            offset = Align(offset + data.Length, file.Alignment);
        }
        Pad(output, file.Alignment);
        foreach (var (_, _, _, data) in tensors)
        {
            output.Write(data);
            Pad(output, file.Alignment);
        }
    }

    private static long Align(long at, uint alignment) => (at + alignment - 1) / alignment * alignment;

    private static void Pad(BinaryWriter output, uint alignment)
    {
        while (output.BaseStream.Position % alignment != 0) output.Write((byte)0);
    }

    private static void WriteString(BinaryWriter output, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        output.Write((ulong)bytes.Length);
        output.Write(bytes);
    }

    private static void WriteValue(BinaryWriter output, GgufValue value)
    {
        if (value.Type != GgufValueType.Array)
        {
            WriteScalar(output, value.Type, value.Value);
            return;
        }
        var elements = (Array)value.Value;
        output.Write((uint)value.ElementType!.Value);
        output.Write((ulong)elements.Length);
        foreach (var element in elements)
        {
            if (value.ElementType == GgufValueType.Array) WriteValue(output, (GgufValue)element!);
            else WriteScalar(output, value.ElementType.Value, element!);
        }
    }

    private static void WriteScalar(BinaryWriter output, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.UInt8: output.Write((byte)value); break;
            case GgufValueType.Int8: output.Write((sbyte)value); break;
            case GgufValueType.UInt16: output.Write((ushort)value); break;
            case GgufValueType.Int16: output.Write((short)value); break;
            case GgufValueType.UInt32: output.Write((uint)value); break;
            case GgufValueType.Int32: output.Write((int)value); break;
            case GgufValueType.Float32: output.Write((float)value); break;
            case GgufValueType.Bool: output.Write((bool)value); break;
            case GgufValueType.String: WriteString(output, (string)value); break;
            case GgufValueType.UInt64: output.Write((ulong)value); break;
            case GgufValueType.Int64: output.Write((long)value); break;
            case GgufValueType.Float64: output.Write((double)value); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }
}
