using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Llmc.Cli.Serving;
using Llmc.Runtime;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc bench-serve &lt;url&gt;</c>: a running server's throughput and latency under concurrent streaming clients (<see cref="ServingBenchmark"/>).</summary>
public static class BenchServeCommand
{
    public static Command Create()
    {
        var url = new Argument<string>("url") { Description = "The server, e.g. http://127.0.0.1:8080" };
        var model = new Option<string?>("--model") { Description = "Model to ask (default: the first the server lists)" };
        var concurrency = new Option<string>("--concurrency") { Description = "Clients streaming at once, per level, e.g. 1,16,64", DefaultValueFactory = _ => "1,16,64" };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Random prompt length in tokens", DefaultValueFactory = _ => 128 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "Tokens each request generates (EOS ignored)", DefaultValueFactory = _ => 128 };
        var perClient = new Option<int>("--requests-per-client") { Description = "Requests each client sends back to back, per level", DefaultValueFactory = _ => 1 };
        var warmUp = new Option<int>("--warmup-requests") { Description = "Unmeasured requests sent first, one at a time, so the server and this client run optimized code", DefaultValueFactory = _ => 4 };
        var apiKey = new Option<string?>("--api-key") { Description = "Bearer token (default: LLMC_API_KEY, else none)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var command = new Command("bench-serve", "Measure a running server with concurrent streaming clients: output tokens/s, requests/s, TTFT, TPOT, ITL and end-to-end latency")
        {
            url, model, concurrency, promptTokens, genTokens, perClient, warmUp, apiKey, json,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var text = parse.GetRequiredValue(url);
            if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
                throw new LlmcException($"'{text}' is not an http:// or https:// URL");
            var levels = ConcurrencyLevels.Parse(parse.GetValue(concurrency));
            var key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("LLMC_API_KEY");
            using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = Timeout.InfiniteTimeSpan };
            var results = Progress.Show("streaming requests", _ => ServingBenchmark.Run(http, server, parse.GetValue(model), string.IsNullOrEmpty(key) ? null : key, levels,
                parse.GetValue(promptTokens), parse.GetValue(genTokens), parse.GetValue(perClient), parse.GetValue(warmUp), CancellationToken.None).GetAwaiter().GetResult());
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["levels"] = results.Select(Report).ToList() }, CliJson.Options));
            else Print(results);
            return results.Any(r => r.Failed > 0) ? 1 : 0;
        }));
        return command;
    }

    private static Dictionary<string, object?> Report(ServingLevel l)
    {
        static double? Ms(double value) => double.IsNaN(value) ? null : Math.Round(value, 3);
        return new Dictionary<string, object?>
        {
            ["concurrency"] = l.Concurrency,
            ["completed"] = l.Completed,
            ["failed"] = l.Failed,
            ["duration_s"] = Math.Round(l.Seconds, 3),
            ["output_tokens"] = l.OutputTokens,
            ["output_tokens_per_s"] = Math.Round(l.OutputTokensPerSecond, 2),
            ["requests_per_s"] = Math.Round(l.RequestsPerSecond, 3),
            ["ttft_ms_median"] = Ms(l.TimeToFirstTokenMs.Median),
            ["ttft_ms_p99"] = Ms(l.TimeToFirstTokenMs.P99),
            ["tpot_ms_median"] = Ms(l.TimePerOutputTokenMs.Median),
            ["tpot_ms_p99"] = Ms(l.TimePerOutputTokenMs.P99),
            ["itl_ms_median"] = Ms(l.InterTokenLatencyMs.Median),
            ["itl_ms_p99"] = Ms(l.InterTokenLatencyMs.P99),
            ["e2el_ms_median"] = Ms(l.EndToEndMs.Median),
            ["e2el_ms_p99"] = Ms(l.EndToEndMs.P99),
            ["first_error"] = l.FirstError,
        };
    }

    private static void Print(IReadOnlyList<ServingLevel> levels)
    {
        Console.WriteLine("clients: completed/failed, output tok/s, requests/s; time to first token, per output token, inter-token and end-to-end latency in ms (median / p99)");
        foreach (var l in levels)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {l.Concurrency,4}: {l.Completed}/{l.Failed}  {l.OutputTokensPerSecond,10:F1} tok/s {l.RequestsPerSecond,8:F3} req/s  ttft {l.TimeToFirstTokenMs.Median,8:F1} / {l.TimeToFirstTokenMs.P99,8:F1}  tpot {l.TimePerOutputTokenMs.Median,7:F2} / {l.TimePerOutputTokenMs.P99,7:F2}  itl {l.InterTokenLatencyMs.Median,7:F2} / {l.InterTokenLatencyMs.P99,7:F2}  e2el {l.EndToEndMs.Median,9:F1} / {l.EndToEndMs.P99,9:F1}"));
            if (l.FirstError is { } error) Console.WriteLine($"        first error: {error}");
        }
    }
}
