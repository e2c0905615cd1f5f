using System.Text.Json;
using Llmc.EndToEnd.Tests.Cuda;

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
        Assert.True(root.GetProperty("bytes_per_token").GetDouble() > 1_000_000); // stories260K's f32 weights alone are ~1 MB
        // stories260K's megabyte of weights stays in cache, so decode may beat the DRAM roofline: only the arithmetic is checked.
        BenchReport.AssertRooflineFromBestTrial(root);
        Assert.True(root.GetProperty("decode_tokens_per_s_min").GetDouble() <= root.GetProperty("decode_tokens_per_s_max").GetDouble());
        Assert.True(root.GetProperty("bandwidth_trials").GetInt32() > 1);
        // A CPU engine's weights are in host memory: the roofline is the host's DRAM bandwidth.
        Assert.Equal("host", root.GetProperty("bandwidth_source").GetString());
        Assert.False(root.TryGetProperty("bandwidth_device", out _));
        var change = root.GetProperty("bandwidth_change_max").GetDouble();
        Assert.True(change >= 0);
        Assert.Equal(change > Runtime.Benchmarking.BenchmarkResult.NoisyBracketChange, root.GetProperty("roofline_fraction_noisy").GetBoolean());
        // The linear layers' operations of a 32-token prefill at its median speed, against the cores' f32 fma peak.
        var (perRow, perLogitRow) = LinearWorkTests.FromConfig();
        var gops = root.GetProperty("prefill_tokens_per_s").GetDouble() / 32 * (32 * perRow + perLogitRow) / 1e9;
        Assert.InRange(root.GetProperty("prefill_linear_gops").GetDouble(), gops * 0.99 - 1e-3, gops * 1.01 + 1e-3);
        Assert.Equal(("f32 fma", 256), (root.GetProperty("compute_peak_kind").GetString(), root.GetProperty("compute_peak_vector_bits").GetInt32()));
        var peak = root.GetProperty("compute_peak_gops").GetDouble();
        Assert.True(peak > 0, $"{peak} G ops/s");
        Assert.InRange(root.GetProperty("prefill_compute_fraction").GetDouble(), gops / peak * 0.99 - 1e-4, gops / peak * 1.01 + 1e-4);
        // Besides the decode step at position 0, one after the prompt: attention over 32 cached positions.
        Assert.Equal(32, root.GetProperty("decode_step_after_prompt_position").GetInt32());
        var afterPrompt = root.GetProperty("decode_step_after_prompt_ms_by_template").EnumerateObject().ToList();
        Assert.Contains(afterPrompt, t => t.Name.StartsWith("attention", StringComparison.Ordinal) && t.Value.GetDouble() > 0);
        Assert.InRange(afterPrompt.Sum(t => t.Value.GetDouble()), 0, root.GetProperty("decode_step_after_prompt_ms").GetDouble() * 1.01 + 1e-3);
    }

    [Fact]
    public void Concurrency_levels_report_throughput_latency_and_prefix_hits_and_batch_invariant_ids_match_alone()
    {
        var result = LlmcCli.Run("bench", engines.For("cpu-avx2"), "--prompt-tokens", "8", "--gen-tokens", "6", "--repeat", "1",
            "--concurrency", "1,3", "--shared-prefix", "16", "--verify", "--batch-invariant", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var levels = doc.RootElement.GetProperty("concurrency").EnumerateArray().ToList();
        Assert.Equal([1, 3], levels.Select(l => l.GetProperty("sequences").GetInt32()));
        foreach (var level in levels)
        {
            double Figure(string name) => level.GetProperty(name).GetDouble();
            Assert.True(Figure("output_tokens_per_s") > 0);
            Assert.InRange(Figure("ttft_ms_median"), 0, Figure("ttft_ms_p99"));
            Assert.InRange(Figure("tpot_ms_median"), 0, Figure("tpot_ms_p99"));
            Assert.True(level.GetProperty("kv_blocks_peak").GetInt32() >= 1);
            // Every request's 16-token prefix is one full block, cached by the warm-up.
            Assert.True(level.GetProperty("prefix_cache_hits").GetInt32() >= 1);
            Assert.Equal(0, level.GetProperty("requests_different_alone").GetInt32());
        }
    }

    [Fact]
    public void Concurrency_rounds_report_each_rounds_throughput_and_its_ratio_to_the_first_level_with_the_median_round()
    {
        var result = LlmcCli.Run("bench", engines.For("cpu-avx2"), "--prompt-tokens", "8", "--gen-tokens", "4", "--repeat", "1",
            "--concurrency", "1,3", "--concurrency-rounds", "3", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var levels = doc.RootElement.GetProperty("concurrency").EnumerateArray().ToList();
        double[] Rounds(JsonElement level, string name) => [.. level.GetProperty(name).EnumerateArray().Select(r => r.GetDouble())];
        var firstRounds = Rounds(levels[0], "output_tokens_per_s_rounds");
        Assert.Equal(3, firstRounds.Length);
        Assert.All(Rounds(levels[0], "scaling_rounds"), r => Assert.Equal(1.0, r));
        var rounds = Rounds(levels[1], "output_tokens_per_s_rounds");
        var scaling = Rounds(levels[1], "scaling_rounds");
        Assert.Equal(3, rounds.Length);
        for (var i = 0; i < 3; i++) Assert.Equal(rounds[i] / firstRounds[i], scaling[i], 2);
        // The reported throughput is the median round's, and the scaling the median of the rounds' ratios.
        Assert.Equal(rounds.Order().ElementAt(1), levels[1].GetProperty("output_tokens_per_s").GetDouble(), 2);
        Assert.Equal(scaling.Order().ElementAt(1), levels[1].GetProperty("scaling_median").GetDouble(), 3);
    }

    [Fact]
    public void Fewer_than_one_concurrency_round_is_refused()
    {
        var result = LlmcCli.Run("bench", engines.For("cpu-avx2"), "--prompt-tokens", "8", "--gen-tokens", "4", "--repeat", "1",
            "--concurrency", "1", "--concurrency-rounds", "0");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--concurrency-rounds must be at least 1, got 0", result.Stderr);
    }

    [Theory]
    [InlineData(new[] { 100.0, 100.0, 100.0, 100.0 }, 0.0, false)]
    [InlineData(new[] { 100.0, 110.0, 100.0, 110.0 }, 10 / 105.0, false)]
    [InlineData(new[] { 100.0, 200.0, 100.0, 200.0 }, 100 / 150.0, true)]
    public void A_run_whose_bandwidth_moved_across_it_marks_the_roofline_fraction_noisy(double[] brackets, double change, bool noisy)
    {
        using var engine = Runtime.Engine.Load(engines.For("cpu-avx2"));
        var next = 0;
        Runtime.Benchmarking.BandwidthMeasurement Bracket()
        {
            var gbps = brackets[next++];
            return new Runtime.Benchmarking.BandwidthMeasurement(new Runtime.Benchmarking.Spread(gbps, gbps, gbps), 1, 1);
        }
        var peak = new Runtime.Benchmarking.BandwidthMeasurement(new Runtime.Benchmarking.Spread(300, 300, 300), 1, 1);
        var result = Runtime.Benchmarking.EngineBenchmark.Run(engine, 8, 4, repeats: 3, peak, Bracket);
        Assert.Equal(brackets.Length, next);
        Assert.Equal(change, result.BracketChange.Max, 9);
        Assert.Equal(noisy, result.Noisy);
    }

    [CudaDeviceFact]
    public void Gpu_engine_takes_the_roofline_from_the_gpus_memory()
    {
        var result = LlmcCli.Run("bench", engines.For("cuda-sm80,cuda-sm86,cuda-sm89,cuda-sm90"), "--prompt-tokens", "32", "--gen-tokens", "16", "--repeat", "2", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal("device", root.GetProperty("bandwidth_source").GetString());
        Assert.StartsWith("CUDA ", root.GetProperty("bandwidth_device").GetString());
        BenchReport.AssertRooflineFromBestTrial(root);
        // The CPU's arithmetic peak says nothing about a GPU engine's prefill.
        Assert.False(root.TryGetProperty("compute_peak_gops", out _));
    }

    [Fact]
    public void More_tokens_than_the_context_holds_is_refused()
    {
        var result = LlmcCli.Run("bench", engines.For("cpu-avx2"), "--prompt-tokens", "500", "--gen-tokens", "100", "--json");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("exceed this engine's context of 512", Assert.Single(result.StderrLines));
    }
}
