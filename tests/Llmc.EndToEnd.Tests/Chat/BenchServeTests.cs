using System.Text.Json;
using Llmc.Server;

namespace Llmc.EndToEnd.Tests.Chat;

/// <summary><c>llmc bench-serve</c> against a server on loopback: every request completes with the tokens asked for, and the server's own counters agree.</summary>
[Collection(ChatEngineCollection.Name)]
public sealed class BenchServeTests(ChatEngine chat)
{
    [Fact]
    public async Task Each_level_streams_every_request_with_exactly_the_tokens_asked_for()
    {
        await using var server = await LoopbackServer.Start([new ServedModel("chat", chat.Engine)]);
        var result = LlmcCli.Run("bench-serve", server.Url, "--concurrency", "1,3", "--prompt-tokens", "8", "--gen-tokens", "6",
            "--requests-per-client", "2", "--warmup-requests", "3", "--api-key", LoopbackServer.Key, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var report = JsonDocument.Parse(result.Stdout);
        var levels = report.RootElement.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal([1, 3], levels.Select(l => l.GetProperty("concurrency").GetInt32()));
        foreach (var level in levels)
        {
            var requests = 2 * level.GetProperty("concurrency").GetInt32();
            Assert.Equal(requests, level.GetProperty("completed").GetInt32());
            Assert.Equal(0, level.GetProperty("failed").GetInt32());
            Assert.Equal(6 * requests, level.GetProperty("output_tokens").GetInt64());
            foreach (var metric in new[] { "ttft", "tpot", "itl", "e2el" })
                Assert.True(level.GetProperty($"{metric}_ms_median").GetDouble() <= level.GetProperty($"{metric}_ms_p99").GetDouble(), metric);
            Assert.True(level.GetProperty("e2el_ms_median").GetDouble() > level.GetProperty("ttft_ms_median").GetDouble());
        }
        // The server generated what the benchmark counted, and three warm-up requests of 6 tokens besides.
        var metrics = await server.Http.GetStringAsync(server.Url + "/metrics");
        Assert.Contains($"llmc_generated_tokens_total{{model=\"chat\"}} {6 * (2 + 6 + 3)}\n", metrics);
    }

    [Fact]
    public async Task A_refused_warm_up_and_a_bad_url_are_named()
    {
        await using var server = await LoopbackServer.Start([new ServedModel("chat", chat.Engine)]);
        var refused = LlmcCli.Run("bench-serve", server.Url, "--model", "chat", "--api-key", "wrong", "--concurrency", "1");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("warm-up request 1", refused.Stderr);
        Assert.Contains("401", refused.Stderr);
        var bad = LlmcCli.Run("bench-serve", "ftp://x");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("'ftp://x' is not an http:// or https:// URL", bad.Stderr);
    }
}
