using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Tests.Generation;

/// <summary><see cref="Sampler.Choose"/>, the reference device samplers are held to, and the uniforms <see cref="Sampler.NextUniform"/> draws.</summary>
public sealed class SamplerChooseTests
{
    private static readonly float[] Logits = [0.5f, 3.0f, -1.0f, 2.5f, 1.0f, -4.0f];

    private static readonly SamplingOptions Full = new() { Temperature = 1, TopK = 0, MinP = 0, TopP = 1, Seed = 9 };

    [Fact]
    public void The_uniform_walks_the_cumulative_mass_in_descending_order_of_logit()
    {
        var sampler = new Sampler(Logits.Length, Full);
        var z = Logits.Sum(l => Math.Exp(l));
        var descending = Enumerable.Range(0, Logits.Length).OrderByDescending(i => Logits[i]).ToArray();
        double cumulative = 0;
        foreach (var id in descending)
        {
            var start = cumulative;
            cumulative += Math.Exp(Logits[id]) / z;
            // Just inside both ends of each token's interval.
            Assert.Equal(id, sampler.Choose(Logits, [], 0, start + 1e-6));
            Assert.Equal(id, sampler.Choose(Logits, [], 0, cumulative - 1e-6));
        }
        Assert.Equal(1, sampler.Choose(Logits, [], 0, 0));
        Assert.Equal(5, sampler.Choose(Logits, [], 0, 1 - 1e-12));
    }

    [Fact]
    public void Sample_is_choose_with_the_next_uniform_of_the_same_seed()
    {
        var a = new Sampler(Logits.Length, Full);
        var b = new Sampler(Logits.Length, Full);
        for (var i = 0; i < 200; i++) Assert.Equal(a.Sample(Logits, [], 0), b.Choose(Logits, [], 0, b.NextUniform()));
    }

    [Fact]
    public void Uniforms_are_multiples_of_2_to_the_minus_32_in_0_1()
    {
        var sampler = new Sampler(Logits.Length, Full);
        var draws = Enumerable.Range(0, 1000).Select(_ => sampler.NextUniform()).ToList();
        Assert.All(draws, u =>
        {
            Assert.InRange(u, 0, 1 - 1.0 / 4294967296.0);
            Assert.Equal(Math.Floor(u * 4294967296.0), u * 4294967296.0);
        });
        Assert.True(draws.Distinct().Count() > 990);
    }

    [Fact]
    public void Greedy_draws_no_uniform()
    {
        var sampler = new Sampler(Logits.Length, SamplingOptions.Greedy with { Seed = 1 });
        Assert.All(Enumerable.Range(0, 10), _ => Assert.Equal(0, sampler.NextUniform()));
        Assert.Equal(1, sampler.Choose(Logits, [], 0, 0.99));
    }
}
