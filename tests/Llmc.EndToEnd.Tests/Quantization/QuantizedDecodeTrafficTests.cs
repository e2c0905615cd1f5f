using Llmc.Compiler.Build;
using Llmc.Runtime.Benchmarking;
using Llmc.Runtime.Format;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Quantization;

/// <summary>
/// What <c>llmc bench</c> counts as read per decoded token for a q4 stories260K, whose head is tied to its embedding:
/// one 6-bit table that the gather and the head both read, so every tensor counts whole.
/// </summary>
public sealed class QuantizedDecodeTrafficTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"llmc-traffic-{Guid.NewGuid():N}.llmc");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void The_tied_table_is_one_packed_copy_and_counts_whole()
    {
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = "cpu-avx2", Output = _path, Quant = "q4", GroupSize = 32 });
        using var file = EngineFile.Open(_path);
        var manifest = file.Manifest;
        var table = Assert.Single(manifest.Tensors, t => t.Name.StartsWith("model.embed_tokens.weight", StringComparison.Ordinal));
        Assert.Equal(("model.embed_tokens.weight.q6g32", "q6g32"), (table.Name, table.DType));
        Assert.Equal(manifest.Tensors.Sum(t => file.SectionLength(t.Section)), DecodeTraffic.Of(manifest).WeightBytes);
    }
}
