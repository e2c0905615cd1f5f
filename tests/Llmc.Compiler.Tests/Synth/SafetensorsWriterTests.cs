using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Compiler.Synth;
using Llmc.Compiler.Tests.Frontends;
using Llmc.Ir;

namespace Llmc.Compiler.Tests.Synth;

public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Written_file_reads_back_with_names_shapes_and_bytes()
    {
        var path = _temp.File("t.safetensors");
        SafetensorsEntry[] entries = [new("a", DType.F32, [2, 3]), new("b.weight", DType.BF16, [5]), new("c", DType.F16, [1, 1, 2])];
        SafetensorsWriter.Write(path, entries, (entry, stream) =>
        {
            for (var i = 0; i < entry.ByteLength; i++) stream.WriteByte((byte)(entry.Name.Length + i));
        });

        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        foreach (var entry in entries)
        {
            var tensor = file.Tensors[entry.Name];
            Assert.Equal(entry.DType, tensor.DType);
            Assert.Equal(entry.Shape, tensor.Shape);
            Assert.Equal(Enumerable.Range(0, (int)entry.ByteLength).Select(i => (byte)(entry.Name.Length + i)), tensor.Bytes.ToArray());
        }
    }

    [Fact]
    public void A_writer_that_writes_the_wrong_length_is_caught()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            SafetensorsWriter.Write(_temp.File("bad.safetensors"), [new("a", DType.F32, [4])], (_, stream) => stream.WriteByte(0)));
        Assert.Contains("'a'", error.Message);
    }
}
