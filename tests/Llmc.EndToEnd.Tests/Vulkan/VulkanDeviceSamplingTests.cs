using Llmc.Runtime;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Format;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Plan;
using Llmc.Runtime.Scheduling;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary>
/// stories260K on the Vulkan device with the engine's sampling kernel: the scheduler takes token ids from the device
/// (never the logits), greedy reproduces the reference ids, a seeded sampled run matches the CPU engine's, and an engine
/// built before device sampling (no sampling kernel) still generates, sampling on the host.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class VulkanDeviceSamplingTests(StoriesEngines engines)
{
    [VulkanFact]
    public void Greedy_generation_takes_ids_from_the_device_and_matches_the_reference()
    {
        var (promptIds, expected) = ReferenceOutputs.Case("Once upon a time");
        using var file = EngineFile.Open(engines.For(VulkanExecutor.Target));
        using var counting = new CountingExecutor(new VulkanExecutor(file));
        Assert.True(counting.CanSample(SamplingOptions.Greedy));
        using var scheduler = new BatchScheduler(counting, Tokenizer(file), [], [], 1, new SchedulerOptions());

        var result = scheduler.Submit(promptIds, new GenerationOptions { MaxTokens = 120, Sampling = SamplingOptions.Greedy }, null, default).GetAwaiter().GetResult();

        Assert.Equal(expected[..120], result.Tokens);
        Assert.Equal(0, counting.Forwards);
        Assert.Equal(120, counting.DeviceSamples);
    }

    [VulkanFact]
    public void A_seeded_sampled_run_gives_the_cpu_engines_ids()
    {
        var options = new GenerationOptions
        {
            MaxTokens = 80,
            StopOnEos = false,
            Sampling = new SamplingOptions { Temperature = 0.8f, TopK = 40, TopP = 0.95f, MinP = 0.05f, RepetitionPenalty = 1.1f, Seed = 11 },
        };
        using var cpu = Engine.Load(engines.For("cpu-avx2"));
        using var vulkan = Engine.Load(engines.For(VulkanExecutor.Target));
        var expected = cpu.Generate("Once upon a time", options).Tokens;
        var actual = vulkan.Generate("Once upon a time", options).Tokens;
        Assert.Equal(expected, actual);
        // A real draw: not the greedy continuation.
        Assert.NotEqual(ReferenceOutputs.Case("Once upon a time").GeneratedIds[..80], actual);
    }

    [VulkanFact]
    public void Forward_and_sample_picks_what_the_host_picks_from_the_same_steps_logits()
    {
        using var file = EngineFile.Open(engines.For(VulkanExecutor.Target));
        using var executor = new VulkanExecutor(file);
        var sequence = new OneSequence(executor);
        int[] tokens = [1, 403, 407, 261, 378];
        int[] positions = [0, 1, 2, 3, 4];
        var options = new SamplingOptions { Temperature = 1.3f, TopK = 0, TopP = 0.9f, MinP = 0, RepetitionPenalty = 1.3f };
        var host = new Sampler(executor.VocabSize, options);
        var distinct = new HashSet<int>();
        for (var row = 0; row < tokens.Length; row++)
            foreach (var uniform in new[] { 0.0, 0.25, 0.5, 0.75, 0.999 })
            {
                var logits = executor.Forward(sequence.Step(tokens, positions, [row])).ToArray();
                var expected = host.Choose(logits, tokens, tokens.Length, uniform);
                Assert.Equal(expected, executor.ForwardAndSample(sequence.Step(tokens, positions, [row]), options, tokens, uniform));
                distinct.Add(expected);
            }
        Assert.True(distinct.Count > 5, $"{distinct.Count} distinct tokens");
    }

    [VulkanFact]
    public void An_engine_without_a_sampling_kernel_samples_on_the_host()
    {
        var source = engines.For(VulkanExecutor.Target);
        var path = Path.Combine(engines.Directory, "stories-vulkan-no-sampler.llmc");
        using (var file = EngineFile.Open(source))
        using (var writer = EngineWriter.Create(path))
        {
            var sampling = file.Manifest.Kernels.Where(k => k.Template == SamplingKernelAbi.Template).Select(k => k.Section).ToHashSet();
            Assert.NotEmpty(sampling);
            foreach (var s in file.Manifest.Sections.Where(s => !sampling.Contains(s.Name))) writer.AddSection(s.Name, file.Section(s.Name));
            writer.Commit(file.Manifest with { Kernels = [.. file.Manifest.Kernels.Where(k => k.Template != SamplingKernelAbi.Template)] });
        }
        using (var file = EngineFile.Open(path))
        using (var executor = new VulkanExecutor(file))
        {
            Assert.False(executor.CanSample(SamplingOptions.Greedy));
            var e = Assert.Throws<LlmcException>(() => executor.ForwardAndSample(new OneSequence(executor).Step([1], [0], [0]), SamplingOptions.Greedy, [], 0));
            Assert.Contains("no sampling kernel", e.Message);
        }
        var (_, expected) = ReferenceOutputs.Case("Once upon a time");
        using var engine = Engine.Load(path);
        Assert.Equal(expected[..40], engine.Generate("Once upon a time", new GenerationOptions { MaxTokens = 40, Sampling = SamplingOptions.Greedy }).Tokens);
    }

    private static Runtime.Tokenization.Tokenizer Tokenizer(EngineFile file) =>
        new(file.ReadTokenizer());

    /// <summary>An executor that counts how generation used it: logits back, or ids sampled on the device.</summary>
    private sealed class CountingExecutor(VulkanExecutor inner) : IModelExecutor, IDeviceSampler
    {
        public int Forwards { get; private set; }

        public int DeviceSamples { get; private set; }

        public int MaxSeq => inner.MaxSeq;

        public int Context => inner.Context;

        public int VocabSize => inner.VocabSize;

        public KvPoolSize Pool => inner.Pool;

        public ReadOnlySpan<float> Forward(StepBatch step)
        {
            Forwards++;
            return inner.Forward(step);
        }

        public bool CanSample(SamplingOptions options) => inner.CanSample(options);

        public int ForwardAndSample(StepBatch step, SamplingOptions options, ReadOnlySpan<int> history, double uniform)
        {
            DeviceSamples++;
            return inner.ForwardAndSample(step, options, history, uniform);
        }

        public void Dispose() => inner.Dispose();
    }
}
