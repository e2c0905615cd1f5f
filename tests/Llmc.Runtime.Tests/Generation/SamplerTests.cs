using Llmc.Runtime;
using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Tests.Generation;

public sealed class SamplerTests
{
    private static readonly float[] Logits = [0.5f, 3.0f, -1.0f, 2.5f, 1.0f, -4.0f];

    [Fact]
    public void Greedy_picks_the_argmax()
    {
        var sampler = new Sampler(Logits.Length, SamplingOptions.Greedy);
        Assert.Equal(1, sampler.Sample(Logits, [], 0));
    }

    [Fact]
    public void Repetition_penalty_can_change_the_greedy_choice()
    {
        var sampler = new Sampler(Logits.Length, SamplingOptions.Greedy with { RepetitionPenalty = 1.5f });
        Assert.Equal(3, sampler.Sample(Logits, [1, 1, 1], 0));
        Assert.Equal(1, sampler.Sample(Logits, [4], 0));
    }

    [Fact]
    public void Presence_penalty_counts_each_generated_token_once_and_not_the_prompt()
    {
        // Token 1 leads token 3 by 0.5: a presence penalty of 0.6 on token 1 hands the choice to token 3, however often 1 came.
        var sampler = new Sampler(Logits.Length, SamplingOptions.Greedy with { PresencePenalty = 0.6f });
        Assert.Equal(3, sampler.Sample(Logits, [1], 0));
        Assert.Equal(3, sampler.Sample(Logits, [4, 1], 1));
        Assert.Equal(1, sampler.Sample(Logits, [1, 1, 1], 3));
        var weak = new Sampler(Logits.Length, SamplingOptions.Greedy with { PresencePenalty = 0.4f });
        Assert.Equal(1, weak.Sample(Logits, [1, 1, 1, 1], 0));
    }

    [Fact]
    public void Frequency_penalty_grows_with_each_repeat()
    {
        var sampler = new Sampler(Logits.Length, SamplingOptions.Greedy with { FrequencyPenalty = 0.2f });
        Assert.Equal(1, sampler.Sample(Logits, [1, 1], 0));
        Assert.Equal(3, sampler.Sample(Logits, [1, 1, 1], 0));
        // A negative penalty favours what was generated: token 3 overtakes token 1 once it came three times.
        var eager = new Sampler(Logits.Length, SamplingOptions.Greedy with { FrequencyPenalty = -0.2f });
        Assert.Equal(3, eager.Sample(Logits, [3, 3, 3, 3], 1));
        Assert.Equal(1, eager.Sample(Logits, [3, 3], 0));
    }

    [Fact]
    public void Top_k_1_is_greedy_whatever_the_temperature()
    {
        var sampler = new Sampler(Logits.Length, new SamplingOptions { Temperature = 5, TopK = 1, MinP = 0, TopP = 1, Seed = 3 });
        for (var i = 0; i < 50; i++) Assert.Equal(1, sampler.Sample(Logits, [], 0));
    }

    [Fact]
    public void Top_k_keeps_only_the_k_best()
    {
        var sampler = new Sampler(Logits.Length, new SamplingOptions { Temperature = 10, TopK = 2, MinP = 0, TopP = 1, Seed = 1 });
        var seen = Enumerable.Range(0, 400).Select(_ => sampler.Sample(Logits, [], 0)).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 3 }, seen);
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_p()
    {
        // Probabilities at T=1: token 1 ≈ 0.53, token 3 ≈ 0.32, the rest ≈ 0.15; p = 0.6 keeps tokens 1 and 3 only.
        var sampler = new Sampler(Logits.Length, new SamplingOptions { Temperature = 1, TopK = 0, MinP = 0, TopP = 0.6f, Seed = 2 });
        var seen = Enumerable.Range(0, 400).Select(_ => sampler.Sample(Logits, [], 0)).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 3 }, seen);
    }

    [Fact]
    public void Min_p_drops_unlikely_tokens()
    {
        // Relative to token 1, token 3 has e^-0.5 ≈ 0.61, token 4 e^-2 ≈ 0.14, token 0 e^-2.5 ≈ 0.08.
        var sampler = new Sampler(Logits.Length, new SamplingOptions { Temperature = 1, TopK = 0, MinP = 0.1f, TopP = 1, Seed = 4 });
        var seen = Enumerable.Range(0, 2000).Select(_ => sampler.Sample(Logits, [], 0)).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 3, 4 }, seen);
    }

    [Fact]
    public void Sampling_follows_the_softmax_distribution()
    {
        var sampler = new Sampler(Logits.Length, new SamplingOptions { Temperature = 1, TopK = 0, MinP = 0, TopP = 1, Seed = 5 });
        var counts = new int[Logits.Length];
        const int n = 20000;
        for (var i = 0; i < n; i++) counts[sampler.Sample(Logits, [], 0)]++;
        var z = Logits.Sum(l => Math.Exp(l));
        for (var t = 0; t < Logits.Length; t++)
            Assert.InRange(counts[t] / (double)n, Math.Exp(Logits[t]) / z - 0.015, Math.Exp(Logits[t]) / z + 0.015);
    }

    [Fact]
    public void Same_seed_same_draws()
    {
        var options = new SamplingOptions { Temperature = 1, TopK = 0, MinP = 0, TopP = 1, Seed = 42 };
        var a = new Sampler(Logits.Length, options);
        var b = new Sampler(Logits.Length, options);
        Assert.Equal(Enumerable.Range(0, 100).Select(_ => a.Sample(Logits, [], 0)), Enumerable.Range(0, 100).Select(_ => b.Sample(Logits, [], 0)));
    }

    [Theory]
    [InlineData(-1f, 40, 0.9f, 0f)]
    [InlineData(1f, -1, 0.9f, 0f)]
    [InlineData(1f, 40, 0f, 0f)]
    [InlineData(1f, 40, 1.5f, 0f)]
    [InlineData(1f, 40, 0.9f, 1f)]
    public void Invalid_options_are_refused(float temperature, int topK, float topP, float minP)
    {
        var options = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP };
        Assert.Throws<LlmcException>(() => new Sampler(8, options));
    }
}
