using System.Text.Json;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Quantization;

/// <summary>Issue 3's accuracy targets (and half storage's) on stories260K (<c>--ctx 128</c>, tinystories-eval.txt), through the CLI.</summary>
[Collection(StoriesCollection.Name)]
public sealed class QuantizedPerplexityTests(StoriesEngines engines)
{
    private static string EvalText => Path.Combine(TestPaths.Shared, "data", "tinystories-eval.txt");

    [Theory]
    [InlineData("f16", 32, 1.001)]
    [InlineData("bf16", 32, 1.002)]
    [InlineData("q8", 32, 1.01)]
    [InlineData("q4", 32, 1.05)]
    public void Quantized_perplexity_stays_within_the_target_of_f32(string quant, int groupSize, double limit)
    {
        var f32 = Perplexity(engines.For(CpuIsa.Avx2Target));
        var path = Path.Combine(engines.Directory, $"stories-{quant}g{groupSize}.llmc");
        var build = LlmcCli.Run("build", StoriesEngines.Source, "--target", CpuIsa.Avx2Target, "--quant", quant, "--group-size", $"{groupSize}", "-o", path);
        Assert.Equal(0, build.ExitCode);
        var quantized = Perplexity(path);
        Assert.True(quantized <= f32 * limit, $"{quant}g{groupSize}: perplexity {quantized:F4} vs f32 {f32:F4} (limit ×{limit})");
    }

    private static double Perplexity(string engine)
    {
        var result = LlmcCli.Run("eval", "ppl", engine, "--file", EvalText, "--ctx", "128", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        return doc.RootElement.GetProperty("perplexity").GetDouble();
    }
}
