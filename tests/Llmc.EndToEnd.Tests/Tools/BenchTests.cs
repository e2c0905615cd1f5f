using System.Text.Json;

namespace Llmc.EndToEnd.Tests.Tools;

/// <summary><c>llmc bench</c> reports sane figures; how fast they are is for benchmarks, not tests.</summary>
[Collection(StoriesCollection.Name)]
public sealed class BenchTests(StoriesEngines engines)
{
    [Fact]
    public void Json_reports_positive_speeds_and_the_roofline_fraction_they_imply()
    {
        var result = LlmcCli.Run("bench", engines.For("cpu-avx2"), "--prompt-tokens", "32", "--gen-tokens", "16", "--repeat", "2", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("prefill_tokens_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("decode_tokens_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("bandwidth_gb_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("bytes_per_token").GetDouble() > 1_000_000); // stories260K's f32 weights alone are ~1 MB
        // stories260K's megabyte of weights stays in cache, so decode may beat the DRAM roofline: only the arithmetic is checked.
        var expected = root.GetProperty("decode_tokens_per_s").GetDouble() * root.GetProperty("bytes_per_token").GetDouble()
            / (root.GetProperty("bandwidth_gb_per_s").GetDouble() * 1e9);
        Assert.InRange(root.GetProperty("roofline_fraction").GetDouble(), expected * 0.99, expected * 1.01);
        Assert.True(root.GetProperty("decode_tokens_per_s_min").GetDouble() <= root.GetProperty("decode_tokens_per_s_max").GetDouble());
        // The roofline uses the best bandwidth trial; the spread of the others is reported beside it.
        Assert.True(root.GetProperty("bandwidth_gb_per_s_min").GetDouble() <= root.GetProperty("bandwidth_gb_per_s_median").GetDouble());
        Assert.True(root.GetProperty("bandwidth_gb_per_s_median").GetDouble() <= root.GetProperty("bandwidth_gb_per_s").GetDouble());
        Assert.True(root.GetProperty("bandwidth_trials").GetInt32() > 1);
    }

    [Fact]
    public void More_tokens_than_the_context_holds_is_refused()
    {
        var result = LlmcCli.Run("bench", engines.For("cpu-avx2"), "--prompt-tokens", "500", "--gen-tokens", "100", "--json");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("exceed this engine's context of 512", Assert.Single(result.StderrLines));
    }
}
