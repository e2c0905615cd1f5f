namespace Llmc.Runtime.Benchmarking;

/// <summary>The median and 99th percentile of a set of latencies (nearest rank), as serving benchmarks report them.</summary>
public readonly record struct Percentiles(double Median, double P99)
{
    public static Percentiles Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("no samples", nameof(samples));
        var sorted = samples.Order().ToArray();
        return new Percentiles(Spread.Of(sorted).Median, sorted[Math.Clamp((int)Math.Ceiling(0.99 * sorted.Length) - 1, 0, sorted.Length - 1)]);
    }
}
