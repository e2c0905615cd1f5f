using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Benchmarking;

/// <summary>
/// Prefill and decode throughput of one engine: a random prompt (prefilled in the engine's chunks), then greedy decoding of a
/// fixed number of tokens (EOS does not stop it), repeated after one warm-up run that JIT-compiles and pages the weights in.
/// </summary>
public static class EngineBenchmark
{
    public static BenchmarkResult Run(Engine engine, int promptTokens, int generatedTokens, int repeats, BandwidthMeasurement bandwidth)
    {
        if (promptTokens < 1) throw new LlmcException($"--prompt-tokens must be at least 1, got {promptTokens}");
        if (generatedTokens < 2) throw new LlmcException($"--gen-tokens must be at least 2 (the first comes from the prefill), got {generatedTokens}");
        if (repeats < 1) throw new LlmcException($"--repeat must be at least 1, got {repeats}");
        if (promptTokens + generatedTokens > engine.Context)
            throw new LlmcException($"{promptTokens} prompt + {generatedTokens} generated tokens exceed this engine's context of {engine.Context}");

        // A fixed seed: every run and every machine benchmarks the same prompt.
        var random = new Random(1234);
        var vocab = Math.Min(engine.Tokenizer.VocabSize, engine.Manifest.Model.VocabSize);
        var prompt = Enumerable.Range(0, promptTokens).Select(_ => random.Next(vocab)).ToArray();
        var options = new GenerationOptions
        {
            MaxTokens = generatedTokens,
            StopOnEos = false,
            Sampling = SamplingOptions.Greedy,
        };

        engine.Generate(prompt, options);
        var prefill = new List<double>();
        var decode = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var stats = engine.Generate(prompt, options).Stats;
            prefill.Add(stats.PrefillTokensPerSecond);
            decode.Add(stats.DecodeTokensPerSecond);
        }

        // Decode step k (1 .. generated - 1) attends over promptTokens + k cached positions.
        var averagePosition = promptTokens + generatedTokens / 2.0;
        return new BenchmarkResult
        {
            PromptTokens = promptTokens,
            GeneratedTokens = generatedTokens,
            Repeats = repeats,
            PrefillTokensPerSecond = Spread.Of(prefill),
            DecodeTokensPerSecond = Spread.Of(decode),
            BytesPerToken = DecodeTraffic.Of(engine.Manifest).BytesPerToken(averagePosition),
            Bandwidth = bandwidth,
        };
    }
}
