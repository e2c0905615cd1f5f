namespace Llmc.Runtime.Benchmarking;

/// <summary>What <see cref="MemoryBandwidthProbe"/> saw: GB/s (10^9 bytes) per trial; the best is the roofline.</summary>
public sealed record BandwidthMeasurement(Spread GigabytesPerSecond, int Threads, int Trials)
{
    /// <summary>The peak attainable bandwidth: the fastest trial, since slower ones only measure interference.</summary>
    public double Best => GigabytesPerSecond.Max;
}
