using System.Text.Json;
using Llmc.Runtime;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Format;
using Llmc.Runtime.Generation;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary>stories260K built for the vulkan target reproduces its reference outputs on the Vulkan device (lavapipe in CI).</summary>
[Collection(StoriesCollection.Name)]
public sealed class VulkanGoldenOutputTests(StoriesEngines engines)
{
    [VulkanFact]
    public void Greedy_continuation_of_once_upon_a_time_matches_reference()
    {
        var (promptIds, expected) = ReferenceOutputs.Case("Once upon a time");
        using var engine = Engine.Load(engines.For(VulkanExecutor.Target));
        var result = engine.Generate("Once upon a time", new GenerationOptions { MaxTokens = 200, Sampling = SamplingOptions.Greedy });
        Assert.Equal(promptIds, result.PromptTokens);
        Assert.Equal(expected[..200], result.Tokens);
    }

    [VulkanFact]
    public void Greedy_story_from_bos_matches_reference()
    {
        var (promptIds, expected) = ReferenceOutputs.Case("");
        using var engine = Engine.Load(engines.For(VulkanExecutor.Target));
        var result = engine.Generate(promptIds, new GenerationOptions { MaxTokens = expected.Length, Sampling = SamplingOptions.Greedy });
        Assert.Equal(expected, result.Tokens);
    }

    [VulkanFact]
    public void First_position_logits_for_bos_match_reference_within_1e4()
    {
        var expected = ReferenceOutputs.LogitsPosition0Bos;
        using var engine = Engine.Load(engines.For(VulkanExecutor.Target));
        var logits = engine.Logits([1]);
        Assert.Equal(expected.Length, logits.Length);
        var worst = expected.Select((e, i) => Math.Abs(e - logits[i])).Max();
        Assert.True(worst < 1e-4, $"max |logit - reference| = {worst:E3}");
    }

    [VulkanFact]
    public void All_position_logits_match_the_cpu_engine_within_1e5_relative_l2()
    {
        int[] tokens = [1, 403, 407, 261, 378, 432, 383, 286, 261];
        using var cpu = Engine.Load(engines.For("cpu-avx2"));
        using var vulkan = Engine.Load(engines.For(VulkanExecutor.Target));
        var (expected, actual) = (cpu.Logits(tokens), vulkan.Logits(tokens));
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]), $"logit {i} is {actual[i]}");
            diff += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        Assert.True(Math.Sqrt(diff / norm) < 1e-5, $"relative L2 {Math.Sqrt(diff / norm):E3}");
    }

    [VulkanFact]
    public void Generation_is_the_same_when_prefill_is_chunked()
    {
        var path = Path.Combine(engines.Directory, "stories-vulkan-chunked.llmc");
        Llmc.Compiler.Build.EngineBuilder.Build(new Llmc.Compiler.Build.BuildOptions
        {
            Source = StoriesEngines.Source, Target = VulkanExecutor.Target, Output = path, MaxBatchTokens = 2,
        });
        var (_, expected) = ReferenceOutputs.Case("Once upon a time");
        using var engine = Engine.Load(path);
        var result = engine.Generate("Once upon a time", new GenerationOptions { MaxTokens = 40, Sampling = SamplingOptions.Greedy });
        Assert.Equal(expected[..40], result.Tokens);
    }

    [VulkanFact]
    public void A_prompt_prefilled_in_one_step_by_the_many_rows_code_gives_the_logits_of_two_row_steps_bit_for_bit()
    {
        // 37 rows: the linear kernels' many-rows code (from 8 rows on) runs a whole 32-row tile of the gated pair and a
        // partial one, and partial 64-row tiles elsewhere; steps of 2 rows run the code of any step. Batch invariance
        // needs the same bits either way.
        using var file = EngineFile.Open(engines.For(VulkanExecutor.Target));
        Assert.Contains(file.Manifest.Kernels, k => k.Launch is { MinRows: 8, GroupsY: "ceil(seq/32)" } && k.Section.StartsWith("kernels.vulkan.", StringComparison.Ordinal));
        var tokens = Enumerable.Range(0, 37).Select(i => 1 + i * 13 % 500).ToArray();
        using var oneStep = new VulkanExecutor(file);
        var expected = oneStep.Forward(new OneSequence(oneStep).Step(tokens, [.. Enumerable.Range(0, 37)], [36])).ToArray();
        using var twoRows = new VulkanExecutor(file);
        var steps = new OneSequence(twoRows);
        float[] actual = [];
        for (var at = 0; at < tokens.Length; at += 2)
        {
            var count = Math.Min(2, tokens.Length - at);
            actual = twoRows.Forward(steps.Step(tokens.AsSpan(at, count), [.. Enumerable.Range(at, count)], [count - 1])).ToArray();
        }
        Assert.All(expected, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [VulkanFact]
    public void Cli_run_json_on_device_0_prints_the_reference_ids()
    {
        var (_, expected) = ReferenceOutputs.Case("Once upon a time");
        var result = LlmcCli.Run("run", engines.For(VulkanExecutor.Target), "--prompt", "Once upon a time", "--max-tokens", "200",
            "--temperature", "0", "--json", "--device", "0");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(expected[..200], doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
    }

    [VulkanFact]
    public void Subgroup_variants_run_by_default_and_plain_ones_when_forced_with_the_same_logits_within_1e5_relative_l2()
    {
        using var file = EngineFile.Open(engines.For(VulkanExecutor.Target));
        int[] tokens = [1, 403, 407, 261];
        var kernels = file.Manifest.Plan.Steps.Select(s => s.Kernel).Distinct().Count();
        using var subgroup = new VulkanExecutor(file, plainOnly: false);
        Assert.True(subgroup.Device.Features.HasFlag(ShaderFeatures.SubgroupArithmetic), "lavapipe reports subgroup arithmetic");
        Assert.Equal(kernels, subgroup.SubgroupKernels);
        var expected = subgroup.Forward(new OneSequence(subgroup).Step(tokens, [0, 1, 2, 3], [0, 1, 2, 3])).ToArray();
        using var plain = new VulkanExecutor(file, plainOnly: true);
        Assert.Equal(0, plain.SubgroupKernels);
        var actual = plain.Forward(new OneSequence(plain).Step(tokens, [0, 1, 2, 3], [0, 1, 2, 3])).ToArray();
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual[i]) && float.IsFinite(expected[i]), $"logit {i}: plain {actual[i]}, subgroup {expected[i]}");
            diff += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        Assert.True(Math.Sqrt(diff / norm) < 1e-5, $"relative L2 {Math.Sqrt(diff / norm):E3}");
    }

    [VulkanFact]
    public void Per_step_gpu_times_are_measured_with_timestamps()
    {
        using var file = EngineFile.Open(engines.For(VulkanExecutor.Target));
        using var executor = new VulkanExecutor(file);
        Assert.True(executor.CanProfileSteps, "lavapipe's compute queue writes timestamps");
        executor.ProfileSteps = true;
        executor.Forward(new OneSequence(executor).Step([1, 403, 407], [0, 1, 2], [2]));
        var times = executor.StepMilliseconds.ToArray();
        Assert.Equal(file.Manifest.Plan.Steps.Count, times.Length);
        Assert.All(times, t => Assert.True(double.IsFinite(t) && t >= 0, $"step time {t} ms"));
        Assert.True(times.Sum() > 0);
    }
}
