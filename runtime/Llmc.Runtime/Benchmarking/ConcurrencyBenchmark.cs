using System.Diagnostics;
using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Benchmarking;

/// <summary>One concurrency level of <see cref="ConcurrencyBenchmark"/>.</summary>
/// <param name="Sequences">Requests submitted at once.</param>
/// <param name="OutputTokensPerSecond">Generated tokens of all requests over the wall time from submission to the last one's end.</param>
/// <param name="RequestsPerSecond">Requests over that wall time.</param>
/// <param name="TimeToFirstTokenMs">From submission to each request's first token.</param>
/// <param name="TimePerOutputTokenMs">Each request's decode time per token after its first.</param>
/// <param name="PeakKvBlocks">The most KV blocks held at once during the level.</param>
/// <param name="PrefixHits">Full KV blocks the level's requests took from the prefix cache.</param>
/// <param name="ColdTimeToFirstTokenMs">With a shared prefix: the same level's time to first token with the prefix cache off.</param>
/// <param name="DifferentAlone">With verification: how many of the level's requests got other ids when run again alone (0: batching changed nothing).</param>
/// <param name="RoundOutputTokensPerSecond">Every round's output tokens/s of this level, in the order run; the other figures are the median round's.</param>
/// <param name="RoundScaling">Every round's output tokens/s of this level over that of the round's first level (the scaling from it, measured minutes apart at most).</param>
public sealed record ConcurrencyLevel(int Sequences, double OutputTokensPerSecond, double RequestsPerSecond, Percentiles TimeToFirstTokenMs,
    Percentiles TimePerOutputTokenMs, int PeakKvBlocks, long PrefixHits, Percentiles? ColdTimeToFirstTokenMs, int? DifferentAlone)
{
    public IReadOnlyList<double> RoundOutputTokensPerSecond { get; init; } = [OutputTokensPerSecond];

    public IReadOnlyList<double> RoundScaling { get; init; } = [1.0];
}

/// <summary>
/// Serving throughput of one engine through its scheduler: for each concurrency level N, N requests with random
/// prompts of P tokens (after a shared prefix of S tokens, if one is asked for) generate G tokens each (greedily, EOS
/// does not stop them), all submitted at once, after a warm-up that commits the KV memory of the largest level. Every
/// request's own tokens differ from every other's, so the prefix cache helps only where a prefix is shared on purpose.
/// With a shared prefix each level runs twice: first with the prefix cache switched off (cold: every request prefills
/// its whole prompt), then, once one request has put the prefix in the cache, with new own tokens (the prefix cached).
/// With <c>verify</c>, every request of a level then runs again alone with the prefix cache off, and the level reports
/// how many got other ids: a check that batching, paging and prefix reuse leave each request's greedy output as it is
/// on this device. With several rounds the levels run in turn that many times (1, 16, 64, 1, 16, 64, ...) and each
/// reports its median round, every round's throughput and every round's ratio to the first level: on a shared machine
/// a ratio within one round, taken a few seconds apart, moves far less than either throughput.
/// </summary>
public static class ConcurrencyBenchmark
{
    public static IReadOnlyList<ConcurrencyLevel> Run(Engine engine, IReadOnlyList<int> levels, int promptTokens, int generatedTokens, int sharedPrefix,
        bool verify = false, int rounds = 1)
    {
        if (levels.Count == 0 || levels.Any(n => n < 1)) throw new LlmcException($"--concurrency takes positive request counts, got {string.Join(",", levels)}");
        if (rounds < 1) throw new LlmcException($"--concurrency-rounds must be at least 1, got {rounds}");
        if (promptTokens < 1) throw new LlmcException($"--prompt-tokens must be at least 1, got {promptTokens}");
        if (generatedTokens < 2) throw new LlmcException($"--gen-tokens must be at least 2 (the first comes from the prefill), got {generatedTokens}");
        if (sharedPrefix < 0) throw new LlmcException($"--shared-prefix must be at least 0, got {sharedPrefix}");
        if (sharedPrefix + promptTokens + generatedTokens > engine.Context)
            throw new LlmcException($"{sharedPrefix} shared + {promptTokens} prompt + {generatedTokens} generated tokens exceed this engine's context of {engine.Context}");

        // Not EngineBenchmark's seed: its prompts would be found in the prefix cache.
        var random = new Random(5678);
        var vocab = Math.Min(engine.Tokenizer.VocabSize, engine.Manifest.Model.VocabSize);
        int[] Tokens(int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(vocab))];
        var options = new GenerationOptions { MaxTokens = generatedTokens, StopOnEos = false, Sampling = SamplingOptions.Greedy };
        // Warm-up: JIT, worker threads, weights paged in, and the KV memory of the largest level committed. Requests as
        // many as that level, each writing as many positions as one of its requests, return their blocks to the free
        // list (prefix cache off), where the levels then find them: so levels run on committed memory, as a server does
        // once it has served that many tokens at once (and as llama.cpp's cleared cache does). A first write to a page
        // costs the operating system a fault: on the SmolLM2-135M config here 1.4 ms of a 21 ms 16-row decode step.
        engine.PrefixCaching = false;
        try
        {
            var written = sharedPrefix + promptTokens + generatedTokens - 1;
            Submit(engine, [.. Enumerable.Range(0, levels.Max()).Select(_ => Tokens(written))], options with { MaxTokens = 1 });
        }
        finally
        {
            engine.PrefixCaching = true;
        }

        var runs = levels.Select(_ => new List<ConcurrencyLevel>()).ToList();
        for (var round = 0; round < rounds; round++)
            for (var i = 0; i < levels.Count; i++)
                runs[i].Add(RunLevel(engine, levels[i], promptTokens, sharedPrefix, verify, options, Tokens));
        return [.. runs.Select(level => Median(level, runs[0]))];
    }

    /// <summary>The level's median round (by output tokens/s), with every round's throughput and ratio to the same round of the first level.</summary>
    private static ConcurrencyLevel Median(List<ConcurrencyLevel> rounds, List<ConcurrencyLevel> first)
    {
        var median = rounds.OrderBy(r => r.OutputTokensPerSecond).ElementAt((rounds.Count - 1) / 2);
        return median with
        {
            RoundOutputTokensPerSecond = [.. rounds.Select(r => r.OutputTokensPerSecond)],
            RoundScaling = [.. rounds.Select((r, i) => r.OutputTokensPerSecond / first[i].OutputTokensPerSecond)],
        };
    }

    private static ConcurrencyLevel RunLevel(Engine engine, int n, int promptTokens, int sharedPrefix, bool verify, GenerationOptions options, Func<int, int[]> tokens)
    {
        Percentiles? cold = null;
        var prefix = tokens(sharedPrefix);
        if (sharedPrefix > 0)
        {
            engine.PrefixCaching = false;
            try
            {
                cold = Submit(engine, [.. Enumerable.Range(0, n).Select(_ => (int[])[.. prefix, .. tokens(promptTokens)])], options).Level.TimeToFirstTokenMs;
            }
            finally
            {
                engine.PrefixCaching = true;
            }
            Submit(engine, [[.. prefix, .. tokens(promptTokens)]], options);
        }
        var hitsBefore = engine.Scheduler.PrefixHits;
        engine.ResetPeakKvBlocks();
        int[][] prompts = [.. Enumerable.Range(0, n).Select(_ => (int[])[.. prefix, .. tokens(promptTokens)])];
        var (level, batched) = Submit(engine, prompts, options);
        return level with
        {
            PeakKvBlocks = engine.Scheduler.PeakBlocksInUse,
            PrefixHits = engine.Scheduler.PrefixHits - hitsBefore,
            ColdTimeToFirstTokenMs = cold,
            DifferentAlone = verify ? DifferentAlone(engine, prompts, batched, options) : null,
        };
    }

    /// <summary>How many of <paramref name="prompts"/> give other ids than <paramref name="batched"/> when each runs alone, computed afresh.</summary>
    private static int DifferentAlone(Engine engine, IReadOnlyList<int[]> prompts, GenerationResult[] batched, GenerationOptions options)
    {
        engine.PrefixCaching = false;
        try
        {
            return prompts.Where((p, i) => !engine.Generate(p, options).Tokens.SequenceEqual(batched[i].Tokens)).Count();
        }
        finally
        {
            engine.PrefixCaching = true;
        }
    }

    private static (ConcurrencyLevel Level, GenerationResult[] Results) Submit(Engine engine, IReadOnlyList<int[]> prompts, GenerationOptions options)
    {
        var clock = Stopwatch.StartNew();
        var results = Task.WhenAll(prompts.Select(p => engine.GenerateTokensAsync(p, options))).GetAwaiter().GetResult();
        var seconds = clock.Elapsed.TotalSeconds;
        return (new ConcurrencyLevel(prompts.Count, results.Sum(r => r.Tokens.Length) / seconds, prompts.Count / seconds,
            Percentiles.Of([.. results.Select(r => r.Stats.TimeToFirstToken.TotalMilliseconds)]),
            Percentiles.Of([.. results.Select(r => r.Stats.TimePerOutputToken.TotalMilliseconds)]), 0, 0, null, null), results);
    }
}
