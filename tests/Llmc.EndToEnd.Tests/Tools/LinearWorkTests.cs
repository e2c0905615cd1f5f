using System.Text.Json;
using Llmc.Compiler.Build;
using Llmc.Runtime.Benchmarking;
using Llmc.Runtime.Format;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Tools;

/// <summary>What <c>llmc bench</c> counts as the linear layers' operations of a prefill, against stories260K's config.</summary>
[Collection(StoriesCollection.Name)]
public sealed class LinearWorkTests(StoriesEngines engines) : IDisposable
{
    private readonly string _q8 = Path.Combine(Path.GetTempPath(), $"llmc-work-{Guid.NewGuid():N}.llmc");

    public void Dispose() => File.Delete(_q8);

    /// <summary>
    /// 2 operations per weight of every layer's q/k/v, output, gate/up and down projection per row, and of the tied
    /// LM head per logit row, from the config's sizes.
    /// </summary>
    internal static (long PerRow, long PerLogitRow) FromConfig()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(StoriesEngines.Source, "config.json")));
        long Get(string key) => config.RootElement.GetProperty(key).GetInt64();
        long hidden = Get("hidden_size"), ffn = Get("intermediate_size"), headDim = Get("head_dim");
        var (q, kv) = (Get("num_attention_heads") * headDim, Get("num_key_value_heads") * headDim);
        var perLayer = (q + 2 * kv) * hidden + hidden * q + 2 * ffn * hidden + hidden * ffn;
        return (2 * Get("num_hidden_layers") * perLayer, 2 * Get("vocab_size") * hidden);
    }

    [Fact]
    public void Every_projection_counts_per_row_and_the_head_per_logit_row()
    {
        using var file = EngineFile.Open(engines.For("cpu-avx2"));
        var work = LinearWork.Of(file.Manifest);
        var (perRow, perLogitRow) = FromConfig();
        Assert.Equal((perRow, perLogitRow, false), (work.OpsPerRow, work.OpsPerLogitRow, work.IntegerWeights));
        Assert.Equal(32 * perRow + perLogitRow, work.OpsOfPrompt(32));
    }

    [Fact]
    public void Quantized_weights_count_the_same_operations_as_integer_ones()
    {
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = "cpu-avx2", Output = _q8, Quant = "q8" });
        using var file = EngineFile.Open(_q8);
        var work = LinearWork.Of(file.Manifest);
        var (perRow, perLogitRow) = FromConfig();
        Assert.Equal((perRow, perLogitRow, true), (work.OpsPerRow, work.OpsPerLogitRow, work.IntegerWeights));
    }
}
