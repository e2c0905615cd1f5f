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

    /// <summary>Operations of the linear layers in one measured prefill (<see cref="LinearWork"/>).</summary>
    public required long PrefillOps { get; init; }

    /// <summary>The CPU's arithmetic peak for the engine's linear kernels, measured before the runs; null on a GPU.</summary>
    public ComputePeak? ComputePeak { get; init; }

    /// <summary>The linear layers' operations per second at the median prefill speed.</summary>
    public double PrefillGigaOpsPerSecond => PrefillTokensPerSecond.Median / PromptTokens * PrefillOps / 1e9;

    /// <summary>The median prefill's linear operations per second as a fraction of <see cref="ComputePeak"/>.</summary>
    public double? ComputeFraction => ComputePeak is { } peak ? PrefillGigaOpsPerSecond / peak.GigaOpsPerSecond : null;

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
