using Llmc.Runtime.Devices;

namespace Llmc.Runtime.Benchmarking;

/// <summary>The memory bandwidth that bounds an engine's decode: its GPU's device memory, else (CPU engines) the host's DRAM.</summary>
public static class RooflineBandwidth
{
    /// <param name="threads">Host reader threads for a CPU engine (default: one per core).</param>
    public static BandwidthMeasurement Measure(Engine engine, int? threads = null) =>
        engine.BandwidthProbe?.MeasureDeviceBandwidth(DeviceCopyBandwidth.DefaultTrials) ?? MemoryBandwidthProbe.Measure(threads: threads);
}
