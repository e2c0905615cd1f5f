using Llmc.Runtime.Generation;
using Prometheus;

namespace Llmc.Server;

/// <summary>
/// The server's Prometheus metrics (prometheus-net, in a registry of the server's own), per model: requests by endpoint
/// and outcome, prompt, cached prompt and generated tokens, time to first token and per output token, and, read from
/// the scheduler at each scrape, waiting and running sequences, KV blocks used, cached and free, and the prefix-cache
/// hit rate; refused requests by HTTP status.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Counter _requests, _refused, _promptTokens, _cachedTokens, _generatedTokens;
    private readonly Histogram _timeToFirstToken, _timePerOutputToken;

    public ServerMetrics(IReadOnlyList<ServedModel> models)
    {
        var factory = Metrics.WithCustomRegistry(_registry);
        _requests = factory.CreateCounter("llmc_requests_total", "Requests finished, by model, endpoint and outcome (stop, length, cancelled)", "model", "endpoint", "outcome");
        _refused = factory.CreateCounter("llmc_requests_refused_total", "Requests refused before generating, by HTTP status", "status");
        _promptTokens = factory.CreateCounter("llmc_prompt_tokens_total", "Prompt tokens of finished requests", "model");
        _cachedTokens = factory.CreateCounter("llmc_cached_prompt_tokens_total", "Prompt tokens the prefix cache served", "model");
        _generatedTokens = factory.CreateCounter("llmc_generated_tokens_total", "Generated tokens of finished requests", "model");
        _timeToFirstToken = factory.CreateHistogram("llmc_time_to_first_token_seconds", "Time from a request's first step to its first token", new HistogramConfiguration { LabelNames = ["model"], Buckets = LatencyBuckets });
        _timePerOutputToken = factory.CreateHistogram("llmc_time_per_output_token_seconds", "Mean time per output token after the first, per request", new HistogramConfiguration { LabelNames = ["model"], Buckets = LatencyBuckets });
        var waiting = factory.CreateGauge("llmc_sequences_waiting", "Sequences queued for admission", "model");
        var running = factory.CreateGauge("llmc_sequences_running", "Sequences holding KV blocks", "model");
        var used = factory.CreateGauge("llmc_kv_blocks_used", "KV blocks some sequence holds", "model");
        var cached = factory.CreateGauge("llmc_kv_blocks_cached", "KV blocks nobody holds that serve the prefix cache", "model");
        var free = factory.CreateGauge("llmc_kv_blocks_free", "KV blocks neither held nor cached", "model");
        var hitRate = factory.CreateGauge("llmc_prefix_cache_hit_rate", "Full prompt blocks found in the prefix cache, of those looked for", "model");
        _registry.AddBeforeCollectCallback(() =>
        {
            foreach (var model in models)
            {
                var s = model.Engine.Scheduler;
                waiting.WithLabels(model.Name).Set(s.Waiting);
                running.WithLabels(model.Name).Set(s.Running);
                used.WithLabels(model.Name).Set(s.BlocksInUse);
                cached.WithLabels(model.Name).Set(s.BlocksCached);
                free.WithLabels(model.Name).Set(s.BlocksTotal - s.BlocksInUse - s.BlocksCached);
                hitRate.WithLabels(model.Name).Set(s.PrefixHits + s.PrefixMisses == 0 ? 0 : (double)s.PrefixHits / (s.PrefixHits + s.PrefixMisses));
            }
        });
    }

    /// <summary>Counts a finished request once (its outcome is its first choice's) and each of its choices' tokens and latencies.</summary>
    public void Finished(string model, string endpoint, IReadOnlyList<GenerationResult> choices)
    {
        _requests.WithLabels(model, endpoint, choices[0].FinishReason.ToString().ToLowerInvariant()).Inc();
        foreach (var result in choices)
        {
            _promptTokens.WithLabels(model).Inc(result.Stats.PromptTokens);
            _cachedTokens.WithLabels(model).Inc(result.Stats.CachedPromptTokens);
            _generatedTokens.WithLabels(model).Inc(result.Stats.GeneratedTokens);
            if (result.Stats.GeneratedTokens > 0) _timeToFirstToken.WithLabels(model).Observe(result.Stats.TimeToFirstToken.TotalSeconds);
            if (result.Stats.GeneratedTokens > 1) _timePerOutputToken.WithLabels(model).Observe(result.Stats.TimePerOutputToken.TotalSeconds);
        }
    }

    public void Cancelled(string model, string endpoint) => _requests.WithLabels(model, endpoint, "cancelled").Inc();

    public void Refused(int status) => _refused.WithLabels(status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    /// <summary>Writes every metric in Prometheus' text format.</summary>
    public Task WriteAsync(Stream output, CancellationToken cancel) => _registry.CollectAndExportAsTextAsync(output, cancel);
}
