using System.Text.Json;
using Llmc.Compiler.Build;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Tools;

/// <summary><c>llmc eval kld</c>: zero from an engine to itself, and a small, positive divergence for its q8 form.</summary>
[Collection(StoriesCollection.Name)]
public sealed class EvalKldTests(StoriesEngines engines)
{
    private static string EvalText => Path.Combine(TestPaths.Shared, "data", "tinystories-eval.txt");

    private static JsonElement Kld(string baseline, string other)
    {
        var result = LlmcCli.Run("eval", "kld", baseline, other, "--file", EvalText, "--ctx", "128", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    [Fact]
    public void An_engine_does_not_diverge_from_itself_and_both_perplexities_are_eval_ppls()
    {
        var f32 = engines.For("cpu-avx2");
        var same = Kld(f32, f32);
        Assert.Equal(0, same.GetProperty("kld_mean").GetDouble());
        Assert.Equal(0, same.GetProperty("kld_max").GetDouble());
        Assert.Equal(1, same.GetProperty("top1_agreement").GetDouble());
        using var ppl = JsonDocument.Parse(LlmcCli.Run("eval", "ppl", f32, "--file", EvalText, "--ctx", "128", "--json").Stdout);
        Assert.Equal(ppl.RootElement.GetProperty("perplexity").GetDouble(), same.GetProperty("perplexity_base").GetDouble(), 1e-9);
        Assert.Equal(ppl.RootElement.GetProperty("tokens_scored").GetInt64(), same.GetProperty("tokens_scored").GetInt64());
    }

    [Fact]
    public void A_quantized_engine_diverges_a_little_and_mostly_agrees_on_the_top_token()
    {
        var q8 = Path.Combine(engines.Directory, "stories-q8-kld.llmc");
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = "cpu-avx2", Output = q8, Quant = "q8" });
        var r = Kld(engines.For("cpu-avx2"), q8);
        var mean = r.GetProperty("kld_mean").GetDouble();
        Assert.InRange(mean, 1e-7, 0.05);
        Assert.True(r.GetProperty("kld_median").GetDouble() <= r.GetProperty("kld_p99").GetDouble());
        Assert.True(r.GetProperty("kld_p99").GetDouble() <= r.GetProperty("kld_max").GetDouble());
        Assert.InRange(r.GetProperty("top1_agreement").GetDouble(), 0.9, 1.0);
        Assert.InRange(r.GetProperty("perplexity_other").GetDouble() / r.GetProperty("perplexity_base").GetDouble(), 0.95, 1.05);
    }
}
