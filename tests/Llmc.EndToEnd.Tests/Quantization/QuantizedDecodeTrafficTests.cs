using Llmc.Compiler.Build;
using Llmc.Runtime.Benchmarking;
using Llmc.Runtime.Format;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Quantization;

/// <summary>
/// What <c>llmc bench</c> counts as read per decoded token for a q4 stories260K: every packed matrix (the head's 8-bit
/// copy included) and every vector whole, the embedding table (now only gathered from) one row.
/// </summary>
public sealed class QuantizedDecodeTrafficTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"llmc-traffic-{Guid.NewGuid():N}.llmc");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void The_gathered_embedding_counts_one_row_and_the_packed_head_counts_whole()
    {
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = "cpu-avx2", Output = _path, Quant = "q4", GroupSize = 32 });
        using var file = EngineFile.Open(_path);
        var manifest = file.Manifest;
        var embedding = manifest.Tensors.Single(t => t.Name == "model.embed_tokens.weight");
        var head = manifest.Tensors.Single(t => t.Name == "model.embed_tokens.weight.q8g32");
        Assert.Equal(("f32", "q8g32"), (embedding.DType, head.DType));

        var all = manifest.Tensors.Sum(t => file.SectionLength(t.Section));
        var tableBytes = file.SectionLength(embedding.Section);
        var expected = all - tableBytes + tableBytes / embedding.Shape[0];
        Assert.Equal(expected, DecodeTraffic.Of(manifest).WeightBytes);
    }
}
