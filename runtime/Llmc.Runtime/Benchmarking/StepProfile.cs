using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Benchmarking;

/// <summary>
/// Device time of one forward step, per kernel template, from the executor's step timestamps: a decode step (one token
/// at <see cref="Position"/>) or a prefill step of many tokens from position 0.
/// </summary>
public sealed record StepProfile(int Tokens, int Position, double TotalMilliseconds, IReadOnlyList<(string Template, int Launches, double Milliseconds)> ByTemplate)
{
    /// <summary>
    /// The profile of <paramref name="engine"/>'s step over a prompt of <paramref name="tokens"/> tokens (at most the
    /// plan's tokens per step, so one step runs them) as generation runs it, the logits of its last row only; null when
    /// its device cannot time steps.
    /// </summary>
    public static StepProfile? Measure(Engine engine, int tokens = 1)
    {
        tokens = Math.Clamp(tokens, 1, engine.Manifest.Plan.MaxSeq);
        // Random tokens of a seed of its own, so no prefix an earlier request cached serves them (the decode profile's
        // prompt repeats BOS) and the whole prompt is one step. Engine.Logits would ask for every row's logits and time
        // the LM head over all of them, which a prompt's prefill does not do.
        var random = new Random(4321);
        var vocab = Math.Min(engine.Tokenizer.VocabSize, engine.Manifest.Model.VocabSize);
        var options = new GenerationOptions { MaxTokens = 1, StopOnEos = false, AddBos = false, Sampling = SamplingOptions.Greedy };
        return Profile(engine, tokens, 0, _ => engine.Generate([.. Enumerable.Range(0, tokens).Select(_ => random.Next(vocab))], options));
    }

    /// <summary>
    /// The profile of one decode step at <paramref name="position"/> (at most two short of the context), after a prompt of
    /// that many tokens: where attention over a long cache shows, which a step at position 0 hides. Null when the
    /// device cannot time steps.
    /// </summary>
    public static StepProfile? MeasureDecodeAt(Engine engine, int position)
    {
        position = Math.Clamp(position, 1, engine.Manifest.Plan.Context - 2);
        // Two tokens: the first comes from the prompt's last step, the second from one decode step, the last timed.
        var options = new GenerationOptions { MaxTokens = 2, StopOnEos = false, AddBos = false, Sampling = SamplingOptions.Greedy };
        return Profile(engine, 1, position, bos => engine.Generate([.. Enumerable.Repeat(bos, position)], options));
    }

    /// <summary>Times the steps of <paramref name="run"/> (given the BOS id to fill its prompt with); the last step is the profile's.</summary>
    private static StepProfile? Profile(Engine engine, int tokens, int position, Action<int> run)
    {
        if (engine.StepProfiler is not { CanProfileSteps: true } profiler) return null;
        profiler.ProfileSteps = true;
        try
        {
            run(engine.Manifest.Generation.BosId ?? 0);
        }
        finally
        {
            profiler.ProfileSteps = false;
        }
        var templates = engine.Manifest.Kernels.DistinctBy(k => k.Name).ToDictionary(k => k.Name, k => k.Template, StringComparer.Ordinal);
        var times = profiler.StepMilliseconds.ToArray();
        var byTemplate = engine.Manifest.Plan.Steps.Select((s, i) => (Template: templates[s.Kernel], Milliseconds: times[i]))
            .GroupBy(t => t.Template)
            .Select(g => (g.Key, g.Count(), g.Sum(t => t.Milliseconds)))
            .OrderByDescending(t => t.Item3)
            .ToList();
        return new StepProfile(tokens, position, times.Sum(), byTemplate);
    }
}
