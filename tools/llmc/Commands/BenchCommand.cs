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
        var command = new Command("bench", "Measure prefill and decode speed against the memory bandwidth of the engine's device (host DRAM, or the GPU's memory)")
        {
            engine, promptTokens, genTokens, repeat, threads, device, json,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var threadCount = parse.GetValue(threads);
            using var loaded = Engine.Load(parse.GetRequiredValue(engine), threadCount, parse.GetValue(device));
            var result = Progress.Show("benchmarking", p =>
            {
                p.Report(loaded.BandwidthProbe is null ? "measuring memory bandwidth" : "measuring device memory bandwidth");
                var peak = RooflineBandwidth.Measure(loaded, threadCount);
                p.Report("running the engine");
                return EngineBenchmark.Run(loaded, parse.GetValue(promptTokens), parse.GetValue(genTokens), parse.GetValue(repeat), peak,
                    () => RooflineBandwidth.Measure(loaded, threadCount, RooflineBandwidth.BracketTrials));
            });
            var steps = StepProfile.Measure(loaded);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(WithSteps(JsonReport(result), steps), CliJson.Options));
            else
            {
                PrintTable(result);
                PrintSteps(steps);
            }
            return 0;
        }));
        return command;
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
        return report;
    }

    // Where the executor times its steps (GPU timestamps, CPU wall clock per launch): one decode step's device time, in all and per kernel template.
    private static Dictionary<string, object> WithSteps(Dictionary<string, object> report, StepProfile? steps)
    {
        if (steps is null) return report;
        report["decode_step_ms"] = Math.Round(steps.TotalMilliseconds, 4);
        report["step_ms_by_template"] = steps.ByTemplate.ToDictionary(t => t.Template, t => Math.Round(t.Milliseconds, 4));
        return report;
    }

    private static void PrintSteps(StepProfile? steps)
    {
        if (steps is null) return;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"device time of one decode step: {steps.TotalMilliseconds:F3} ms"));
        foreach (var (template, launches, ms) in steps.ByTemplate)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {template,-28} {launches,4} launches {ms,10:F3} ms"));
    }

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
    }
}
