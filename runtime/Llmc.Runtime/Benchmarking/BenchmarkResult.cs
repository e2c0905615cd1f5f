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

    public required BandwidthMeasurement Bandwidth { get; init; }

    /// <summary>Decode speed as a fraction of the memory-bound ceiling best-bandwidth / bytes-per-token; 1 would be perfect.</summary>
    public double RooflineFraction => DecodeTokensPerSecond.Median * BytesPerToken / (Bandwidth.Best * 1e9);
}
