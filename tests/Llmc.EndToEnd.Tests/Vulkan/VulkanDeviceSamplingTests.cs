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
/// (never the logits), every sequence of a step in one launch; greedy reproduces the reference ids, seeded sampled runs
/// match the CPU engine's, alone and batched; engines built before device sampling (no sampling kernel) or before it
/// took many rows still generate, sampling on the host what the kernel cannot.
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
                Assert.Equal(expected, SampleOne(executor, sequence.Step(tokens, positions, [row]), options, tokens, uniform));
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
            var e = Assert.Throws<LlmcException>(() => SampleOne(executor, new OneSequence(executor).Step([1], [0], [0]), SamplingOptions.Greedy, [1], 0));
            Assert.Contains("no sampling kernel", e.Message);
        }
        var (_, expected) = ReferenceOutputs.Case("Once upon a time");
        using var engine = Engine.Load(path);
        Assert.Equal(expected[..40], engine.Generate("Once upon a time", new GenerationOptions { MaxTokens = 40, Sampling = SamplingOptions.Greedy }).Tokens);
    }

    [VulkanFact]
    public void One_launch_samples_every_logit_row_each_with_its_own_options()
    {
        using var file = EngineFile.Open(engines.For(VulkanExecutor.Target));
        using var executor = new VulkanExecutor(file);
        Assert.Equal(executor.MaxSeq, executor.MaxSampledRows);
        var sequence = new OneSequence(executor);
        int[] tokens = [1, 403, 407, 261, 378, 432, 383];
        int[] positions = [.. Enumerable.Range(0, tokens.Length)];
        int[] logitRows = [6, 1, 4, 3, 0];
        var logits = executor.Forward(sequence.Step(tokens, positions, logitRows)).ToArray();
        var rows = new DeviceSampling[logitRows.Length];
        var expected = new int[rows.Length];
        for (var r = 0; r < rows.Length; r++)
        {
            // Greedy, and draws with their own temperature, cut-offs, penalty window and uniform per row.
            var options = r == 2 ? SamplingOptions.Greedy
                : new SamplingOptions { Temperature = 0.7f + 0.3f * r, TopK = 10 * r, TopP = 0.95f - 0.1f * r, RepetitionPenalty = 1 + 0.2f * r };
            rows[r] = new DeviceSampling(options, [.. tokens[..(logitRows[r] + 1)]], 0.15 + 0.2 * r);
            expected[r] = new Sampler(executor.VocabSize, options).Choose(logits.AsSpan(r * executor.VocabSize, executor.VocabSize),
                tokens.AsSpan(0, logitRows[r] + 1), logitRows[r] + 1, rows[r].Uniform);
        }
        var actual = new int[rows.Length];
        executor.ForwardAndSample(sequence.Step(tokens, positions, logitRows), rows, actual);
        Assert.Equal(expected, actual);
        Assert.True(expected.Distinct().Count() >= 3, $"rows drew {string.Join(", ", expected)}");
    }

    [VulkanFact]
    public async Task Batched_seeded_requests_are_sampled_together_on_the_device_and_get_the_cpu_engines_ids()
    {
        var requests = Enumerable.Range(0, 6).Select(i => (Prompt: Prompts[i % Prompts.Length], Options: new GenerationOptions
        {
            MaxTokens = 20 + 7 * i,
            StopOnEos = false,
            Sampling = i % 3 == 0 ? SamplingOptions.Greedy
                : new SamplingOptions { Temperature = 0.9f, TopK = 30, TopP = 0.9f, RepetitionPenalty = 1.1f, Seed = 100 + i },
        })).ToList();
        using var cpu = Engine.Load(engines.For("cpu-avx2"));
        var alone = requests.Select(r => cpu.Generate(r.Prompt, r.Options).Tokens).ToList();

        using var file = EngineFile.Open(engines.For(VulkanExecutor.Target));
        using var counting = new CountingExecutor(new VulkanExecutor(file));
        using var scheduler = new BatchScheduler(counting, Tokenizer(file), [], [], requests.Count, new SchedulerOptions());
        var results = await Task.WhenAll(requests.Select(r => scheduler.Submit(cpu.Encode(r.Prompt), r.Options, null, default)));

        for (var i = 0; i < requests.Count; i++) Assert.Equal(alone[i], results[i].Tokens);
        Assert.Equal(0, counting.Forwards);
        Assert.True(counting.WidestLaunch == requests.Count, $"at most {counting.WidestLaunch} rows were sampled in one launch");
    }

    [VulkanFact]
    public void An_engine_whose_kernel_samples_one_row_samples_wider_steps_on_the_host()
    {
        var path = Path.Combine(engines.Directory, "stories-vulkan-one-row-sampler.llmc");
        using (var file = EngineFile.Open(engines.For(VulkanExecutor.Target)))
        using (var writer = EngineWriter.Create(path))
        {
            foreach (var s in file.Manifest.Sections) writer.AddSection(s.Name, file.Section(s.Name));
            // The launch of engines built before the kernel took many rows: one workgroup, which samples row 0.
            writer.Commit(file.Manifest with
            {
                Kernels = [.. file.Manifest.Kernels.Select(k => k.Template == SamplingKernelAbi.Template ? k with { Launch = k.Launch! with { GroupsY = "1" } } : k)],
            });
        }
        using var engineFile = EngineFile.Open(path);
        using var counting = new CountingExecutor(new VulkanExecutor(engineFile));
        Assert.Equal(1, counting.MaxSampledRows);
        using var scheduler = new BatchScheduler(counting, Tokenizer(engineFile), [], [], 3, new SchedulerOptions());
        using var cpu = Engine.Load(engines.For("cpu-avx2"));
        var greedy = new GenerationOptions { StopOnEos = false, Sampling = SamplingOptions.Greedy };
        // Different lengths, so the longest runs its last steps alone.
        var options = Enumerable.Range(0, 3).Select(i => greedy with { MaxTokens = 10 + 15 * i }).ToList();
        var results = Prompts.Take(3).Select((p, i) => scheduler.Submit(cpu.Encode(p), options[i], null, default)).ToList();
        for (var i = 0; i < 3; i++) Assert.Equal(cpu.Generate(Prompts[i], options[i]).Tokens, results[i].GetAwaiter().GetResult().Tokens);
        Assert.True(counting.Forwards > 0, "steps of several sequences were sampled on the host");
        Assert.Equal(1, counting.WidestLaunch);
    }

    private static readonly string[] Prompts = ["Once upon a time", "The little dog", "Tom and Sue went to the park", "One day"];

    private static int SampleOne(VulkanExecutor executor, StepBatch step, SamplingOptions options, int[] history, double uniform)
    {
        var token = new int[1];
        executor.ForwardAndSample(step, [new DeviceSampling(options, [.. history], uniform)], token);
        return token[0];
    }

    private static Runtime.Tokenization.Tokenizer Tokenizer(EngineFile file) =>
        new(file.ReadTokenizer());

    /// <summary>An executor that counts how generation used it: logits back, or ids sampled on the device.</summary>
    private sealed class CountingExecutor(VulkanExecutor inner) : IModelExecutor, IDeviceSampler
    {
        public int Forwards { get; private set; }

        /// <summary>Rows sampled on the device, and the most in one launch.</summary>
        public int DeviceSamples { get; private set; }

        public int WidestLaunch { get; private set; }

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

        public int MaxSampledRows => inner.MaxSampledRows;

        public void ForwardAndSample(StepBatch step, ReadOnlySpan<DeviceSampling> rows, Span<int> tokens)
        {
            DeviceSamples += rows.Length;
            WidestLaunch = Math.Max(WidestLaunch, rows.Length);
            inner.ForwardAndSample(step, rows, tokens);
        }

        public void Dispose() => inner.Dispose();
    }
}
