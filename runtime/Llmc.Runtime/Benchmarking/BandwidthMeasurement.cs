namespace Llmc.Runtime.Benchmarking;

/// <summary>Which memory a <see cref="BandwidthMeasurement"/> measured.</summary>
public enum BandwidthSource
{
    /// <summary>Host DRAM, read by CPU threads (<see cref="MemoryBandwidthProbe"/>): the ceiling of CPU engines.</summary>
    Host,

    /// <summary>The GPU's own memory, copied on the device (<see cref="Devices.IDeviceBandwidthProbe"/>): the ceiling of GPU engines.</summary>
    Device,
}

/// <summary>What <see cref="MemoryBandwidthProbe"/> or a device probe saw: GB/s (10^9 bytes) per trial; the best is the roofline.</summary>
/// <param name="Threads">Host reader threads; 0 for a device measurement.</param>
public sealed record BandwidthMeasurement(Spread GigabytesPerSecond, int Threads, int Trials)
{
    /// <summary>The peak attainable bandwidth: the fastest trial, since slower ones only measure interference.</summary>
    public double Best => GigabytesPerSecond.Max;

    public BandwidthSource Source { get; init; } = BandwidthSource.Host;

    /// <summary>The device measured (e.g. <c>device 0 (NVIDIA H100 …)</c>); null for the host.</summary>
    public string? Device { get; init; }

    /// <summary>A device measurement: trials of copies within <paramref name="device"/>'s memory.</summary>
    public static BandwidthMeasurement OfDevice(Spread gigabytesPerSecond, int trials, string device) =>
        new(gigabytesPerSecond, 0, trials) { Source = BandwidthSource.Device, Device = device };
}
