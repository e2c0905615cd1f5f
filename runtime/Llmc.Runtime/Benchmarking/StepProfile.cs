namespace Llmc.Runtime.Benchmarking;

/// <summary>Device time of one decode step (one token after BOS), per kernel template, from the executor's step timestamps.</summary>
public sealed record StepProfile(double TotalMilliseconds, IReadOnlyList<(string Template, int Launches, double Milliseconds)> ByTemplate)
{
    /// <summary>The profile of <paramref name="engine"/>'s decode step, or null when its device cannot time steps.</summary>
    public static StepProfile? Measure(Engine engine)
    {
        if (engine.StepProfiler is not { CanProfileSteps: true } profiler) return null;
        var bos = engine.Manifest.Generation.BosId ?? 0;
        profiler.ProfileSteps = true;
        try
        {
            engine.Logits([bos]);
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
        return new StepProfile(times.Sum(), byTemplate);
    }
}
