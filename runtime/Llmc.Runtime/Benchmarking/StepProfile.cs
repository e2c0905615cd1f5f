namespace Llmc.Runtime.Benchmarking;

/// <summary>
/// Device time of one forward step, per kernel template, from the executor's step timestamps: a decode step (one token
/// at position 0) or a prefill step of many tokens.
/// </summary>
public sealed record StepProfile(int Tokens, double TotalMilliseconds, IReadOnlyList<(string Template, int Launches, double Milliseconds)> ByTemplate)
{
    /// <summary>
    /// The profile of <paramref name="engine"/>'s step over <paramref name="tokens"/> tokens (at most the plan's
    /// tokens per step, so one step runs them), or null when its device cannot time steps.
    /// </summary>
    public static StepProfile? Measure(Engine engine, int tokens = 1)
    {
        if (engine.StepProfiler is not { CanProfileSteps: true } profiler) return null;
        var bos = engine.Manifest.Generation.BosId ?? 0;
        tokens = Math.Clamp(tokens, 1, engine.Manifest.Plan.MaxSeq);
        profiler.ProfileSteps = true;
        try
        {
            engine.Logits([.. Enumerable.Repeat(bos, tokens)]);
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
        return new StepProfile(tokens, times.Sum(), byTemplate);
    }
}
