using Llmc.Runtime.Benchmarking;

namespace Llmc.Runtime.Devices;

/// <summary>
/// Device memory bandwidth from timed device-to-device copies, the part every GPU probe shares. A copy reads its bytes and
/// writes as many, so it moves twice its size (as GPU vendors count copy bandwidth). The buffers are far larger than any
/// GPU's last-level cache, so the copy runs at memory speed; each trial is timed on the device, the first one (which faults
/// pages in and raises clocks) is discarded.
/// </summary>
public static class DeviceCopyBandwidth
{
    /// <summary>Bytes of each of the two buffers: 512 MiB together, twice the largest GPU cache (256 MiB).</summary>
    public const long MaxBufferBytes = 256L << 20;

    public const int DefaultTrials = 20;

    // Leaves most of the device's memory to the engine loaded beside the probe.
    private const int MemoryShare = 8;

    /// <summary>The size of each buffer on a device with <paramref name="availableBytes"/> of memory to spare.</summary>
    public static long BufferBytes(long availableBytes) => Math.Min(MaxBufferBytes, availableBytes / MemoryShare) & ~255L;

    /// <summary>Runs a warm-up copy and <paramref name="trials"/> timed ones of <paramref name="bytes"/> each.</summary>
    /// <param name="copySeconds">Performs one copy and returns its device time in seconds.</param>
    public static BandwidthMeasurement Measure(string device, long bytes, int trials, Func<double> copySeconds)
    {
        if (trials < 1) throw new LlmcException($"bandwidth trials must be at least 1, got {trials}");
        if (bytes < 1 << 20) throw new LlmcException($"{device} has too little free memory to measure its bandwidth ({bytes:N0}-byte buffers)");
        copySeconds();
        var samples = new List<double>(trials);
        for (var trial = 0; trial < trials; trial++)
            samples.Add(2.0 * bytes / copySeconds() / 1e9);
        return BandwidthMeasurement.OfDevice(Spread.Of(samples), trials, device);
    }
}
