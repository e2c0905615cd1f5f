using Llmc.Runtime.Devices;

namespace Llmc.Runtime.Benchmarking;

/// <summary>The memory bandwidth that bounds an engine's decode: its GPU's device memory, else (CPU engines) the host's DRAM.</summary>
public static class RooflineBandwidth
{
    /// <summary>Trials of each short measurement that <see cref="EngineBenchmark"/> takes around every measured run.</summary>
    public const int BracketTrials = 10;

    /// <param name="threads">Host reader threads for a CPU engine (default: one per core).</param>
    /// <param name="trials">Timed trials (default: the probe's own count, enough for a peak).</param>
    public static BandwidthMeasurement Measure(Engine engine, int? threads = null, int? trials = null) =>
        engine.BandwidthProbe?.MeasureDeviceBandwidth(trials ?? DeviceCopyBandwidth.DefaultTrials)
        ?? MemoryBandwidthProbe.Measure(trials: trials ?? MemoryBandwidthProbe.DefaultTrials, threads: threads);
}
