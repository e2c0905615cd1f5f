using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Benchmarking;

/// <summary>
/// Prefill and decode throughput of one engine: a random prompt (prefilled in the engine's chunks), then greedy decoding of a
/// fixed number of tokens (EOS does not stop it), repeated after one warm-up run that JIT-compiles and pages the weights in.
/// <para>On a shared machine the bandwidth left to us moves by half within seconds, so a decode speed divided by a
/// bandwidth measured at another moment says more about the neighbours than about the engine. Each measured run is
/// therefore bracketed by short bandwidth measurements, and its roofline fraction is its decode speed (an average over
/// the run) over the typical bandwidth around it (the mean of its two brackets' median trials): reader and engine
/// face the same neighbours. The fraction against the peak measured before the runs is reported too. How far the
/// bandwidth moved from the bracket before a run to the one after it says how much to trust that run's fraction
/// (<see cref="BenchmarkResult.BracketChange"/>).</para>
/// </summary>
public static class EngineBenchmark
{
    /// <param name="peak">The machine's peak bandwidth, measured before the runs.</param>
    /// <param name="bracket">A short bandwidth measurement, taken before and after every measured run.</param>
    /// <param name="computePeak">The CPU's arithmetic peak for the engine's linear kernels (null on a GPU).</param>
    public static BenchmarkResult Run(Engine engine, int promptTokens, int generatedTokens, int repeats, BandwidthMeasurement peak, Func<BandwidthMeasurement> bracket,
        ComputePeak? computePeak = null)
    {
        if (promptTokens < 1) throw new LlmcException($"--prompt-tokens must be at least 1, got {promptTokens}");
        if (generatedTokens < 2) throw new LlmcException($"--gen-tokens must be at least 2 (the first comes from the prefill), got {generatedTokens}");
        if (repeats < 1) throw new LlmcException($"--repeat must be at least 1, got {repeats}");
        if (promptTokens + generatedTokens > engine.Context)
            throw new LlmcException($"{promptTokens} prompt + {generatedTokens} generated tokens exceed this engine's context of {engine.Context}");

        // A fixed seed: every machine benchmarks the same prompts. Each run has its own, so none finds the previous
        // one's blocks in the prefix cache and every prefill is measured whole.
        var random = new Random(1234);
        var vocab = Math.Min(engine.Tokenizer.VocabSize, engine.Manifest.Model.VocabSize);
        int[] Prompt() => [.. Enumerable.Range(0, promptTokens).Select(_ => random.Next(vocab))];
        var options = new GenerationOptions
        {
            MaxTokens = generatedTokens,
            StopOnEos = false,
            Sampling = SamplingOptions.Greedy,
        };

        // Decode step k (1 .. generated - 1) attends over promptTokens + k cached positions.
        var bytesPerToken = DecodeTraffic.Of(engine.Manifest).BytesPerToken(promptTokens + generatedTokens / 2.0);
        engine.Generate(Prompt(), options);
        var prefill = new List<double>();
        var decode = new List<double>();
        var fractions = new List<double>();
        var changes = new List<double>();
        var before = bracket();
        for (var i = 0; i < repeats; i++)
        {
            var stats = engine.Generate(Prompt(), options).Stats;
            var after = bracket();
            prefill.Add(stats.PrefillTokensPerSecond);
            decode.Add(stats.DecodeTokensPerSecond);
            var around = (before.GigabytesPerSecond.Median + after.GigabytesPerSecond.Median) / 2;
            fractions.Add(stats.DecodeTokensPerSecond * bytesPerToken / (around * 1e9));
            changes.Add(Math.Abs(after.GigabytesPerSecond.Median - before.GigabytesPerSecond.Median) / around);
            before = after;
        }

        return new BenchmarkResult
        {
            PromptTokens = promptTokens,
            GeneratedTokens = generatedTokens,
            Repeats = repeats,
            PrefillTokensPerSecond = Spread.Of(prefill),
            DecodeTokensPerSecond = Spread.Of(decode),
            BytesPerToken = bytesPerToken,
            PrefillOps = LinearWork.Of(engine.Manifest).OpsOfPrompt(promptTokens),
            ComputePeak = computePeak,
            Bandwidth = peak,
            RooflineFraction = Spread.Of(fractions),
            BracketChange = Spread.Of(changes),
        };
    }
}
