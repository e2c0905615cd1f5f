using System.Runtime.InteropServices;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Generation;
using Llmc.Targets.Gpu.Templates;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>
/// The sampling kernel on the Vulkan device against the host <see cref="Sampler"/>: the same token for the same logits,
/// history and uniform. Logits are built without exact ties (where the host's order among equal logits is its sort's),
/// except in the greedy test, whose ties both sides break to the lowest id. The result word is NaN-poisoned before each run.
/// </summary>
[Collection(VulkanCollection.Name)]
public sealed class VulkanSamplingTests
{
    public static TheoryData<int> Vocabularies => [512, 1000, 128_256];

    /// <summary>Option sets covering top-k 1/5/40/all, top-p 0.5/0.9/1, min-p 0/0.05, temperature 0.7/1.3 and the penalty.</summary>
    private static readonly SamplingOptions[] OptionSets =
    [
        new() { Temperature = 0.7f, TopK = 1, TopP = 1, MinP = 0 },
        new() { Temperature = 1.3f, TopK = 5, TopP = 1, MinP = 0 },
        new() { Temperature = 0.7f, TopK = 40, TopP = 0.9f, MinP = 0.05f },
        new() { Temperature = 1.3f, TopK = 0, TopP = 0.5f, MinP = 0 },
        new() { Temperature = 1.3f, TopK = 0, TopP = 1, MinP = 0 },
        new() { Temperature = 0.7f, TopK = 0, TopP = 0.9f, MinP = 0.05f },
        new() { Temperature = 0.7f, TopK = 40, TopP = 0.9f, MinP = 0.05f, RepetitionPenalty = 1.3f },
        new() { Temperature = 1.3f, TopK = 0, TopP = 0.9f, MinP = 0, RepetitionPenalty = 1.3f },
    ];

    private static VulkanDevice Device => VulkanTestDevice.Device;

    [VulkanTheory]
    [MemberData(nameof(Vocabularies))]
    public void Greedy_picks_the_hosts_argmax_lowest_id_among_ties(int vocab)
    {
        var random = new Random(vocab);
        var kernel = Kernels.For(vocab);
        for (var trial = 0; trial < 4; trial++)
        {
            var logits = RandomLogits(random, vocab, spread: 10);
            // Ties at the top (the lowest id must win), extremes that stay finite, and signed zeros that compare equal.
            var top = logits.Max() + 1;
            foreach (var i in new[] { vocab - 1, vocab / 2, vocab / 3 + trial }) logits[i] = top;
            logits[random.Next(vocab)] = -3e38f;
            logits[random.Next(vocab)] = float.MinValue;
            if (trial == 3) Array.Fill(logits, 0f, 0, vocab / 2);
            if (trial == 3) Array.Fill(logits, -0f, vocab / 2, vocab - vocab / 2);
            int[] history = trial == 2 ? [vocab / 3 + trial, vocab / 2, 7, 7] : [];
            var options = SamplingOptions.Greedy with { RepetitionPenalty = trial == 2 ? 1.5f : 1f };
            var expected = new Sampler(vocab, options).Choose(logits, history, 0);
            Assert.Equal(expected, Run(kernel, logits, options, history, 0));
        }
    }

    [VulkanTheory]
    [MemberData(nameof(Vocabularies))]
    public void Sampling_picks_the_hosts_token_for_every_uniform_and_option_set(int vocab)
    {
        var random = new Random(vocab + 1);
        var kernel = Kernels.For(vocab);
        var draws = vocab > 10_000 ? 6 : 40;
        foreach (var options in OptionSets)
        {
            var logits = RandomLogits(random, vocab, spread: options.TopK is 0 ? 4 : 12);
            var history = options.RepetitionPenalty == 1 ? [] : TieFreeHistory(random, logits, options, count: 60);
            var sampler = new Sampler(vocab, options);
            double[] uniforms = [0, 1 - 1.0 / 4294967296.0, .. Enumerable.Range(0, draws).Select(_ => SamplingKernelAbi.Fraction(random.NextDouble()) / 4294967296.0)];
            var chosen = new HashSet<int>();
            foreach (var u in uniforms)
            {
                var expected = sampler.Choose(logits, history, u);
                Assert.True(expected == Run(kernel, logits, options, history, u), $"{options} u={u}: host {expected}, device {Run(kernel, logits, options, history, u)}");
                chosen.Add(expected);
            }
            // The draws really sample (several tokens) unless top-k keeps one.
            Assert.True(options.TopK == 1 ? chosen.Count == 1 : chosen.Count > 2, $"{options}: {chosen.Count} distinct tokens");
        }
    }

    [Fact]
    public void A_vocabulary_beyond_the_kernels_fixed_point_range_is_refused_naming_the_kernel()
    {
        var kernel = SamplingTemplate.KernelFor(SamplingKernelAbi.MaxVocab + 1);
        var e = Assert.Throws<TargetException>(() => new VulkanTarget().Render(kernel));
        Assert.Contains(kernel.Name, e.Message);
        Assert.Contains("vocabulary of 8388609 tokens", e.Message);
    }

    private static int Run(VulkanKernel kernel, float[] logits, SamplingOptions options, int[] history, double uniform)
    {
        var words = new uint[SamplingKernelAbi.ParameterWords];
        new SamplingParameterBlock(logits.Length).Write(words, options, history, uniform);
        var after = VulkanKernelRunner.Run(Device, kernel,
            [(MemoryMarshal.AsBytes(logits.AsSpan()).ToArray(), logits.Length * 4L), (MemoryMarshal.AsBytes(words.AsSpan()).ToArray(), words.Length * 4L), (null, 4)], 1, 1);
        return BitConverter.ToInt32(after[2]);
    }

    /// <summary>Distinct logits in random order: a shuffled grid with jitter under half a step, spread over ±<paramref name="spread"/>.</summary>
    private static float[] RandomLogits(Random random, int vocab, float spread)
    {
        var order = Enumerable.Range(0, vocab).ToArray();
        random.Shuffle(order);
        var step = 2 * spread / vocab;
        return [.. order.Select(k => (k + random.NextSingle() * 0.4f - vocab / 2f) * step)];
    }

    /// <summary>Random history ids whose penalized logits tie with no other logit (nor each other), so the host's order is defined.</summary>
    private static int[] TieFreeHistory(Random random, float[] logits, SamplingOptions options, int count)
    {
        var values = new HashSet<float>(logits);
        var history = new List<int>();
        while (history.Count < count)
        {
            var id = random.Next(logits.Length);
            if (history.Contains(id)) continue;
            var penalized = logits[id] > 0 ? logits[id] / options.RepetitionPenalty : logits[id] * options.RepetitionPenalty;
            if (!values.Add(penalized)) continue;
            history.Add(id);
        }
        return [.. history];
    }

    /// <summary>The sampling kernel per vocabulary size, compiled once by the vulkan target (plain variant).</summary>
    private static class Kernels
    {
        private static readonly Dictionary<int, VulkanKernel> Built = [];

        public static VulkanKernel For(int vocab)
        {
            lock (Built)
            {
                if (Built.TryGetValue(vocab, out var kernel)) return kernel;
                var instance = SamplingTemplate.KernelFor(vocab);
                var compiled = new VulkanTarget().Compile([instance]);
                var entry = compiled.Kernels.First(k => k.Section == VulkanTarget.SectionOf(instance, GlslDialect.Instance));
                return Built[vocab] = VulkanKernel.Create(Device, instance.Name, compiled.Sections[entry.Section], entry.Launch!, 3, entry.Entry);
            }
        }
    }
}
