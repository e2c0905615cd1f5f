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

    public required double BandwidthGigabytesPerSecond { get; init; }

    /// <summary>Decode speed as a fraction of the memory-bound ceiling bandwidth / bytes-per-token; 1 would be perfect.</summary>
    public double RooflineFraction => DecodeTokensPerSecond.Median * BytesPerToken / (BandwidthGigabytesPerSecond * 1e9);
}
