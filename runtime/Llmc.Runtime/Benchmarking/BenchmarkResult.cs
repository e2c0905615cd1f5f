namespace Llmc.Runtime.Benchmarking;

/// <summary>What <see cref="EngineBenchmark"/> measured, with the roofline that puts the decode speed in context.</summary>
public sealed record BenchmarkResult
{
    public required int PromptTokens { get; init; }

    public required int GeneratedTokens { get; init; }

    public required int Repeats { get; init; }

    public required Spread PrefillTokensPerSecond { get; init; }

    public required Spread DecodeTokensPerSecond { get; init; }

    /// <summary>Weights plus the KV cache at the average decode position.</summary>
    public required double BytesPerToken { get; init; }

    /// <summary>The peak bandwidth, measured before the runs.</summary>
    public required BandwidthMeasurement Bandwidth { get; init; }

    /// <summary>
    /// Each run's decode speed as a fraction of the memory-bound ceiling bandwidth / bytes-per-token, the bandwidth being
    /// the typical trial measured just before and just after that run (see <see cref="EngineBenchmark"/>); 1 would be perfect.
    /// </summary>
    public required Spread RooflineFraction { get; init; }

    /// <summary>
    /// Per run, how far the bandwidth moved across it: |after − before| over their mean, of the brackets' median trials.
    /// A run whose neighbours changed their traffic meanwhile has a fraction against a bandwidth it did not see.
    /// </summary>
    public required Spread BracketChange { get; init; }

    /// <summary>The bracket change above which <see cref="Noisy"/> marks the roofline fraction.</summary>
    public const double NoisyBracketChange = 0.2;

    /// <summary>Whether some run's bandwidth moved more than <see cref="NoisyBracketChange"/> across it: rerun before quoting the fraction.</summary>
    public bool Noisy => BracketChange.Max > NoisyBracketChange;

    /// <summary>The median decode speed as a fraction of the ceiling set by the peak <see cref="Bandwidth"/>.</summary>
    public double PeakRooflineFraction => DecodeTokensPerSecond.Median * BytesPerToken / (Bandwidth.Best * 1e9);
}
