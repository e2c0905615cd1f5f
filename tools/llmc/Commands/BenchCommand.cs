using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Llmc.Runtime;
using Llmc.Runtime.Benchmarking;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc bench &lt;engine&gt;</c>: prefill and decode speed, and decode as a fraction of the memory-bandwidth roofline.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var engine = new Argument<string>("engine") { Description = "Engine file built by llmc build" };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Random prompt length for prefill", DefaultValueFactory = _ => 512 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "Tokens to decode greedily", DefaultValueFactory = _ => 128 };
        var repeat = new Option<int>("--repeat") { Description = "Measured runs after one warm-up; the median is reported", DefaultValueFactory = _ => 3 };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" };
        var device = new Option<int?>("--device") { Description = "GPU to run on, by its index in llmc devices (default: LLMC_VULKAN_DEVICE, else the best one)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var concurrency = new Option<string?>("--concurrency") { Description = "Also serve this many requests at once, per level, e.g. 1,4,16,64: throughput and latency through the scheduler" };
        var sharedPrefix = new Option<int>("--shared-prefix") { Description = "With --concurrency: tokens every request's prompt starts with (before its --prompt-tokens own ones)", DefaultValueFactory = _ => 0 };
        var rounds = new Option<int>("--concurrency-rounds") { Description = "With --concurrency: run the levels in turn this many times and report each level's median round, with every round's ratio to the first level", DefaultValueFactory = _ => 1 };
        var verify = new Option<bool>("--verify") { Description = "With --concurrency: run every request again alone and count those whose ids differ from the batched run" };
        var batchInvariant = BatchInvariantOption.Create();
        var pool = new KvPoolCliOptions();
        var command = new Command("bench", "Measure prefill and decode speed against the memory bandwidth of the engine's device (host DRAM, or the GPU's memory)")
        {
            engine, promptTokens, genTokens, repeat, threads, device, json, concurrency, rounds, sharedPrefix, verify, batchInvariant,
        };
        pool.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var threadCount = parse.GetValue(threads);
            var levels = ConcurrencyLevels.Parse(parse.GetValue(concurrency));
            var path = parse.GetRequiredValue(engine);
            var positions = parse.GetValue(sharedPrefix) + parse.GetValue(promptTokens) + parse.GetValue(genTokens);
            using var loaded = Engine.Load(path, new EngineOptions
            {
                Threads = threadCount,
                Device = parse.GetValue(device),
                KvPool = pool.Read(parse, sequences: levels.Count > 0 ? levels.Max() : null, memory: KvFor(path, levels.DefaultIfEmpty(1).Max(), positions)),
                BatchInvariant = parse.GetValue(batchInvariant),
            });
            var result = Progress.Show("benchmarking", p =>
            {
                p.Report(loaded.BandwidthProbe is null ? "measuring memory bandwidth" : "measuring device memory bandwidth");
                var peak = RooflineBandwidth.Measure(loaded, threadCount);
                ComputePeak? compute = null;
                if (loaded.BandwidthProbe is null)
                {
                    p.Report("measuring the arithmetic peak");
                    compute = ComputePeakProbe.MeasureFor(loaded.Manifest, threadCount);
                }
                p.Report("running the engine");
                return EngineBenchmark.Run(loaded, parse.GetValue(promptTokens), parse.GetValue(genTokens), parse.GetValue(repeat), peak,
                    () => RooflineBandwidth.Measure(loaded, threadCount, RooflineBandwidth.BracketTrials), compute);
            });
            StepProfile?[] steps =
            [
                StepProfile.Measure(loaded),
                StepProfile.MeasureDecodeAt(loaded, parse.GetValue(promptTokens)),
                StepProfile.Measure(loaded, parse.GetValue(promptTokens)),
            ];
            var served = levels.Count == 0 ? null : Progress.Show("serving concurrent requests", _ =>
                ConcurrencyBenchmark.Run(loaded, levels, parse.GetValue(promptTokens), parse.GetValue(genTokens), parse.GetValue(sharedPrefix), parse.GetValue(verify), parse.GetValue(rounds)));
            if (parse.GetValue(json))
            {
                var report = WithSteps(JsonReport(result), steps);
                if (served is not null) report["concurrency"] = served.Select(ConcurrencyReport).ToList();
                Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Options));
            }
            else
            {
                PrintTable(result);
                PrintSteps(steps);
                if (served is not null) PrintConcurrency(served);
            }
            return 0;
        }));
        return command;
    }

    /// <summary>KV memory for <paramref name="sequences"/> requests of <paramref name="positions"/> positions each: what the benchmark needs, not whole contexts.</summary>
    private static long KvFor(string path, int sequences, int positions)
    {
        using var file = Runtime.Format.EngineFile.Open(path);
        var plan = file.Manifest.Plan;
        var block = new Runtime.Plan.KvPoolOptions().Resolve(plan).Pool.BlockSize;
        return (long)sequences * ((Math.Min(positions, plan.Context) + block - 1) / block) * block * Runtime.Plan.PlanShapes.KvBytesPerPosition(plan);
    }

    private static Dictionary<string, object> ConcurrencyReport(ConcurrencyLevel level)
    {
        var report = new Dictionary<string, object>
        {
            ["sequences"] = level.Sequences,
            ["output_tokens_per_s"] = Math.Round(level.OutputTokensPerSecond, 2),
            ["requests_per_s"] = Math.Round(level.RequestsPerSecond, 3),
            ["ttft_ms_median"] = Math.Round(level.TimeToFirstTokenMs.Median, 2),
            ["ttft_ms_p99"] = Math.Round(level.TimeToFirstTokenMs.P99, 2),
            ["tpot_ms_median"] = Math.Round(level.TimePerOutputTokenMs.Median, 3),
            ["tpot_ms_p99"] = Math.Round(level.TimePerOutputTokenMs.P99, 3),
            ["kv_blocks_peak"] = level.PeakKvBlocks,
            ["prefix_cache_hits"] = level.PrefixHits,
            ["output_tokens_per_s_rounds"] = level.RoundOutputTokensPerSecond.Select(t => Math.Round(t, 2)).ToList(),
            ["scaling_rounds"] = level.RoundScaling.Select(r => Math.Round(r, 3)).ToList(),
            ["scaling_median"] = Math.Round(Spread.Of(level.RoundScaling).Median, 3),
        };
        if (level.DifferentAlone is { } different) report["requests_different_alone"] = different;
        if (level.ColdTimeToFirstTokenMs is { } cold)
        {
            report["ttft_ms_median_cold_prefix"] = Math.Round(cold.Median, 2);
            report["ttft_ms_p99_cold_prefix"] = Math.Round(cold.P99, 2);
        }
        return report;
    }

    private static void PrintConcurrency(IReadOnlyList<ConcurrencyLevel> levels)
    {
        Console.WriteLine("concurrent requests: output tok/s, requests/s, time to first token and per output token (median / p99), peak KV blocks, prefix-cache hits");
        foreach (var l in levels)
        {
            var cold = l.ColdTimeToFirstTokenMs is { } c ? string.Create(CultureInfo.InvariantCulture, $"  (prefix cache off: ttft {c.Median:F1} / {c.P99:F1} ms)") : "";
            if (l.DifferentAlone is { } different) cold += $"  {different} of {l.Sequences} differ alone";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {l.Sequences,4} seq {l.OutputTokensPerSecond,10:F1} tok/s {l.RequestsPerSecond,8:F3} req/s  ttft {l.TimeToFirstTokenMs.Median,8:F1} / {l.TimeToFirstTokenMs.P99,8:F1} ms  tpot {l.TimePerOutputTokenMs.Median,7:F2} / {l.TimePerOutputTokenMs.P99,7:F2} ms  kv blocks {l.PeakKvBlocks,6}  hits {l.PrefixHits}  {Spread.Of(l.RoundScaling).Median:F2}x the first level{cold}"));
            if (l.RoundOutputTokensPerSecond.Count > 1)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"       rounds: {string.Join(", ", l.RoundOutputTokensPerSecond.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))} tok/s; {string.Join(", ", l.RoundScaling.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}x the first level"));
        }
    }

    private static Dictionary<string, object> JsonReport(BenchmarkResult r)
    {
        var report = new Dictionary<string, object>
        {
            ["prefill_tokens_per_s"] = Math.Round(r.PrefillTokensPerSecond.Median, 2),
            ["decode_tokens_per_s"] = Math.Round(r.DecodeTokensPerSecond.Median, 2),
            ["roofline_fraction"] = Math.Round(r.RooflineFraction.Median, 4),
            ["roofline_fraction_min"] = Math.Round(r.RooflineFraction.Min, 4),
            ["roofline_fraction_max"] = Math.Round(r.RooflineFraction.Max, 4),
            ["roofline_fraction_of_peak"] = Math.Round(r.PeakRooflineFraction, 4),
            ["bandwidth_change_max"] = Math.Round(r.BracketChange.Max, 4),
            ["roofline_fraction_noisy"] = r.Noisy,
            ["prefill_tokens_per_s_min"] = Math.Round(r.PrefillTokensPerSecond.Min, 2),
            ["prefill_tokens_per_s_max"] = Math.Round(r.PrefillTokensPerSecond.Max, 2),
            ["decode_tokens_per_s_min"] = Math.Round(r.DecodeTokensPerSecond.Min, 2),
            ["decode_tokens_per_s_max"] = Math.Round(r.DecodeTokensPerSecond.Max, 2),
            ["bytes_per_token"] = Math.Round(r.BytesPerToken),
            ["bandwidth_gb_per_s"] = Math.Round(r.Bandwidth.Best, 2),
            ["bandwidth_gb_per_s_median"] = Math.Round(r.Bandwidth.GigabytesPerSecond.Median, 2),
            ["bandwidth_gb_per_s_min"] = Math.Round(r.Bandwidth.GigabytesPerSecond.Min, 2),
            ["bandwidth_trials"] = r.Bandwidth.Trials,
            ["bandwidth_source"] = r.Bandwidth.Source == BandwidthSource.Device ? "device" : "host",
            ["prompt_tokens"] = r.PromptTokens,
            ["gen_tokens"] = r.GeneratedTokens,
            ["repeat"] = r.Repeats,
        };
        if (r.Bandwidth.Device is { } device) report["bandwidth_device"] = device;
        report["prefill_linear_gops"] = Math.Round(r.PrefillGigaOpsPerSecond, 3);
        if (r.ComputePeak is { } compute)
        {
            report["compute_peak_gops"] = Math.Round(compute.GigaOpsPerSecond, 2);
            report["compute_peak_kind"] = PeakName(compute.Kind);
            report["compute_peak_vector_bits"] = compute.VectorBits;
            report["prefill_compute_fraction"] = Math.Round(r.ComputeFraction!.Value, 4);
        }
        return report;
    }

    // Where the executor times its steps (GPU timestamps, CPU wall clock per launch): the device time of one decode step
    // at position 0 and one after the prompt, and of one prefill step, in all and per kernel template.
    private static Dictionary<string, object> WithSteps(Dictionary<string, object> report, StepProfile?[] steps)
    {
        if (steps is not [{ } decode, { } decodeAfterPrompt, { } prefill]) return report;
        report["decode_step_ms"] = Math.Round(decode.TotalMilliseconds, 4);
        report["step_ms_by_template"] = decode.ByTemplate.ToDictionary(t => t.Template, t => Math.Round(t.Milliseconds, 4));
        report["decode_step_after_prompt_position"] = decodeAfterPrompt.Position;
        report["decode_step_after_prompt_ms"] = Math.Round(decodeAfterPrompt.TotalMilliseconds, 4);
        report["decode_step_after_prompt_ms_by_template"] = decodeAfterPrompt.ByTemplate.ToDictionary(t => t.Template, t => Math.Round(t.Milliseconds, 4));
        report["prefill_step_tokens"] = prefill.Tokens;
        report["prefill_step_ms"] = Math.Round(prefill.TotalMilliseconds, 4);
        report["prefill_step_ms_by_template"] = prefill.ByTemplate.ToDictionary(t => t.Template, t => Math.Round(t.Milliseconds, 4));
        return report;
    }

    private static void PrintSteps(StepProfile?[] steps)
    {
        foreach (var profile in steps)
        {
            if (profile is null) continue;
            var what = profile.Tokens == 1 ? $"one decode step at position {profile.Position}" : $"one prefill step of {profile.Tokens} tokens";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"device time of {what}: {profile.TotalMilliseconds:F3} ms"));
            foreach (var (template, launches, ms) in profile.ByTemplate)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {template,-28} {launches,4} launches {ms,10:F3} ms"));
        }
    }

    private static string PeakName(PeakKind kind) => kind == PeakKind.FusedMultiplyAdd ? "f32 fma" : "i16 pmaddwd";

    private static void PrintTable(BenchmarkResult r)
    {
        static string Row(string name, Spread s) =>
            string.Create(CultureInfo.InvariantCulture, $"{name,-16} {s.Median,10:F2} tok/s  (min {s.Min:F2}, max {s.Max:F2})");
        Console.WriteLine(Row($"prefill ({r.PromptTokens})", r.PrefillTokensPerSecond));
        Console.WriteLine(Row($"decode ({r.GeneratedTokens})", r.DecodeTokensPerSecond));
        var b = r.Bandwidth;
        var device = b.Source == BandwidthSource.Device;
        var (where, how) = device ? ("device memory bandwidth", $"copies on {b.Device}") : ("memory bandwidth", $"trials on {b.Threads} threads");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{where} {b.Best:F1} GB/s (best of {b.Trials} {how}; median {b.GigabytesPerSecond.Median:F1}, min {b.GigabytesPerSecond.Min:F1})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decode reads {r.BytesPerToken / 1e6:F1} MB/token; roofline fraction {r.RooflineFraction.Median:F3} (each run against the memory speed timed just before and after it; min {r.RooflineFraction.Min:F3}, max {r.RooflineFraction.Max:F3}), {r.PeakRooflineFraction:F3} against the peak"));
        Console.WriteLine(r.ComputePeak is { } peak
            ? string.Create(CultureInfo.InvariantCulture,
                $"prefill does {r.PrefillGigaOpsPerSecond:F1} G linear ops/s, {r.ComputeFraction:F3} of the cores' {PeakName(peak.Kind)} peak ({peak.GigaOpsPerSecond:F1} G ops/s at {peak.VectorBits} bits on {peak.Threads} threads)")
            : string.Create(CultureInfo.InvariantCulture, $"prefill does {r.PrefillGigaOpsPerSecond:F1} G linear ops/s"));
        var change = (100 * r.BracketChange.Max).ToString("F0", CultureInfo.InvariantCulture);
        Console.WriteLine(r.Noisy
            ? $"the memory speed moved by up to {change} % across a run: NOISY, the roofline fraction is not to be quoted (rerun when the neighbours are quieter)"
            : $"the memory speed moved by at most {change} % across a run");
    }
}
