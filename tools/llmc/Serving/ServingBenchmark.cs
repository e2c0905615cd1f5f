using System.Diagnostics;
using System.Text.Json;
using Llmc.Runtime;
using Llmc.Runtime.Benchmarking;

namespace Llmc.Cli.Serving;

/// <summary>
/// <c>llmc bench-serve</c>: a running server's throughput and latency as its clients see them, measured the way vLLM's
/// serving benchmark does. For each concurrency level N, N clients each stream <c>requestsPerClient</c> completions
/// back to back; every prompt is P random token ids (ids 3 to 258, which every vocabulary here has: random prompts
/// practically never share a whole KV block, so the prefix cache does not help), and each asks for exactly G greedy
/// tokens with EOS ignored. A few requests first warm the server and this client up: .NET compiles hot methods again,
/// optimized, after some dozens of calls (tiered compilation), and a measurement taken while both processes still do
/// that on the same cores reads up to a third slower than the steady state a long-running server is in.
/// </summary>
public static class ServingBenchmark
{
    public static async Task<IReadOnlyList<ServingLevel>> Run(HttpClient http, Uri server, string? model, string? apiKey, IReadOnlyList<int> levels,
        int promptTokens, int genTokens, int requestsPerClient, int warmUpRequests, CancellationToken cancel)
    {
        if (promptTokens < 1) throw new LlmcException($"--prompt-tokens must be at least 1, got {promptTokens}");
        if (genTokens < 2) throw new LlmcException($"--gen-tokens must be at least 2 (the first comes from the prefill), got {genTokens}");
        if (requestsPerClient < 1) throw new LlmcException($"--requests-per-client must be at least 1, got {requestsPerClient}");
        if (warmUpRequests < 0) throw new LlmcException($"--warmup-requests must not be negative, got {warmUpRequests}");
        model ??= await FirstModel(http, server, apiKey, cancel);
        var completions = new Uri(server, "v1/completions");
        var random = new Random(2468);
        int[] Prompt() => [.. Enumerable.Range(0, promptTokens).Select(_ => 3 + random.Next(256))];

        for (var i = 0; i < warmUpRequests; i++)
        {
            var warmUp = await StreamedRequest.Send(http, completions, model, Prompt(), genTokens, apiKey, cancel);
            if (warmUp.Error is { } error) throw new LlmcException($"warm-up request {i + 1} to {completions} failed: {error}");
        }
        var results = new List<ServingLevel>();
        foreach (var clients in levels)
        {
            var prompts = Enumerable.Range(0, clients).Select(_ => Enumerable.Range(0, requestsPerClient).Select(_ => Prompt()).ToList()).ToList();
            var clock = Stopwatch.StartNew();
            var requests = await Task.WhenAll(prompts.Select(async own =>
            {
                var done = new List<StreamedRequest>();
                foreach (var prompt in own) done.Add(await StreamedRequest.Send(http, completions, model, prompt, genTokens, apiKey, cancel));
                return done;
            }));
            results.Add(Level(clients, clock.Elapsed.TotalSeconds, [.. requests.SelectMany(r => r)]));
        }
        return results;
    }

    private static ServingLevel Level(int clients, double seconds, IReadOnlyList<StreamedRequest> requests)
    {
        var ok = requests.Where(r => r.Error is null).ToList();
        Percentiles Of(IEnumerable<double> samples) => samples.ToList() is { Count: > 0 } list ? Percentiles.Of(list) : new Percentiles(double.NaN, double.NaN);
        var tokens = ok.Sum(r => (long)r.OutputTokens);
        return new ServingLevel(clients, ok.Count, requests.Count - ok.Count, seconds, tokens, tokens / seconds, ok.Count / seconds,
            Of(ok.Select(r => r.TimeToFirstTokenMs)),
            Of(ok.Select(r => (r.EndToEndMs - r.TimeToFirstTokenMs) / (r.OutputTokens - 1))),
            Of(ok.SelectMany(r => r.InterTokenLatenciesMs)),
            Of(ok.Select(r => r.EndToEndMs)),
            requests.FirstOrDefault(r => r.Error is not null)?.Error);
    }

    private static async Task<string> FirstModel(HttpClient http, Uri server, string? apiKey, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, "v1/models"));
        if (apiKey is not null) request.Headers.Authorization = new("Bearer", apiKey);
        using var response = await http.SendAsync(request, cancel);
        var text = await response.Content.ReadAsStringAsync(cancel);
        if (!response.IsSuccessStatusCode) throw new LlmcException($"GET {request.RequestUri} answered {(int)response.StatusCode}: {text}");
        using var models = JsonDocument.Parse(text);
        return models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).FirstOrDefault()
            ?? throw new LlmcException($"{server} serves no model");
    }
}
