using Llmc.Runtime;
using Llmc.Runtime.Generation;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests;

/// <summary>stories260K must reproduce its reference greedy outputs token for token on every CPU target.</summary>
[Collection(StoriesCollection.Name)]
public sealed class GoldenOutputTests(StoriesEngines engines)
{
    [Theory]
    [CpuTarget("cpu-avx2")]
    [CpuTarget("cpu-avx512")]
    public void Greedy_continuation_of_once_upon_a_time_matches_reference(string target)
    {
        var (promptIds, expected) = ReferenceOutputs.Case("Once upon a time");
        using var engine = Engine.Load(engines.For(target));
        var result = engine.Generate("Once upon a time", new GenerationOptions { MaxTokens = expected.Length, Sampling = SamplingOptions.Greedy });
        Assert.Equal(promptIds, result.PromptTokens);
        Assert.Equal(expected, result.Tokens);
    }

    [Theory]
    [CpuTarget("cpu-avx2")]
    [CpuTarget("cpu-avx512")]
    public void Greedy_story_from_bos_matches_reference(string target)
    {
        var (promptIds, expected) = ReferenceOutputs.Case("");
        using var engine = Engine.Load(engines.For(target));
        var result = engine.Generate(promptIds, new GenerationOptions { MaxTokens = expected.Length, Sampling = SamplingOptions.Greedy });
        Assert.Equal(expected, result.Tokens);
    }

    [Theory]
    [CpuTarget("cpu-avx2")]
    [CpuTarget("cpu-avx512")]
    public void First_position_logits_for_bos_match_reference_within_1e4(string target)
    {
        var expected = ReferenceOutputs.LogitsPosition0Bos;
        using var engine = Engine.Load(engines.For(target));
        var logits = engine.Logits([1]);
        Assert.Equal(expected.Length, logits.Length);
        var worst = expected.Select((e, i) => Math.Abs(e - logits[i])).Max();
        Assert.True(worst < 1e-4, $"max |logit - reference| = {worst:E3}");
    }

    [Fact]
    public void Generation_is_the_same_when_prefill_is_chunked()
    {
        var path = Path.Combine(engines.Directory, "stories-chunked.llmc");
        Llmc.Compiler.Build.EngineBuilder.Build(new Llmc.Compiler.Build.BuildOptions
        {
            Source = StoriesEngines.Source, Target = "cpu-avx2", Output = path, MaxBatchTokens = 2,
        });
        var (_, expected) = ReferenceOutputs.Case("Once upon a time");
        using var engine = Engine.Load(path);
        var result = engine.Generate("Once upon a time", new GenerationOptions { MaxTokens = 40, Sampling = SamplingOptions.Greedy });
        Assert.Equal(expected[..40], result.Tokens);
    }
}
