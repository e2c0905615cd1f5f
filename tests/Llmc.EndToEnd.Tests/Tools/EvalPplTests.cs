using System.Text.Json;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Tools;

/// <summary><c>llmc eval ppl</c> against llama.cpp's llama-perplexity figure for stories260K.</summary>
[Collection(StoriesCollection.Name)]
public sealed class EvalPplTests(StoriesEngines engines)
{
    /// <summary>llama-perplexity -c 128 on the same model and text (f32).</summary>
    private const double LlamaCppPerplexity = 4.8714;

    private static string EvalText => Path.Combine(TestPaths.Shared, "data", "tinystories-eval.txt");

    [Fact]
    public void Stories_perplexity_matches_llama_cpp()
    {
        var result = LlmcCli.Run("eval", "ppl", engines.For("cpu-avx2"), "--file", EvalText, "--ctx", "128", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("perplexity").GetDouble(), LlamaCppPerplexity * 0.998, LlamaCppPerplexity * 1.002);
        var tokens = TokenCount(EvalText);
        var chunks = root.GetProperty("chunks").GetInt32();
        Assert.Equal(tokens / 128, chunks);
        Assert.Equal(chunks * 63, root.GetProperty("tokens_scored").GetInt32());
    }

    [Fact]
    public void Text_output_has_a_line_per_chunk_and_a_summary()
    {
        var result = LlmcCli.Run("eval", "ppl", engines.For("cpu-avx2"), "--file", EvalText, "--ctx", "256");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("[1] ", lines[0][..4]);
        Assert.StartsWith("perplexity ", lines[^1]);
        Assert.Equal(TokenCount(EvalText) / 256, lines.Length - 1);
    }

    [Fact]
    public void Too_short_a_file_is_refused_with_the_token_counts()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "Once upon a time there was a cat.");
            var result = LlmcCli.Run("eval", "ppl", engines.For("cpu-avx2"), "--file", path, "--ctx", "128");
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("--ctx 128 needs at least 256", Assert.Single(result.StderrLines));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_chunk_longer_than_the_engines_context_is_refused()
    {
        var result = LlmcCli.Run("eval", "ppl", engines.For("cpu-avx2"), "--file", EvalText, "--ctx", "1024");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("larger than this engine's context of 512", Assert.Single(result.StderrLines));
    }

    private static int TokenCount(string path)
    {
        var result = LlmcCli.Run("tokenize", StoriesEngines.Source, "--text", File.ReadAllText(path), "--json");
        using var doc = JsonDocument.Parse(result.Stdout);
        return doc.RootElement.GetProperty("ids").GetArrayLength();
    }
}
