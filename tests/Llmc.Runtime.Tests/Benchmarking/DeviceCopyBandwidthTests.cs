using Llmc.Runtime.Benchmarking;
using Llmc.Runtime.Devices;

namespace Llmc.Runtime.Tests.Benchmarking;

/// <summary>The arithmetic every GPU copy probe shares, driven by copies of known device times.</summary>
public sealed class DeviceCopyBandwidthTests
{
    private const long Bytes = 256L << 20;

    [Fact]
    public void A_copy_counts_its_bytes_read_and_written_and_the_warm_up_copy_is_dropped()
    {
        // Warm-up first (10 s: it would be the minimum if it were counted), then three trials.
        var seconds = new Queue<double>([10.0, 0.004, 0.002, 0.008]);
        var measured = DeviceCopyBandwidth.Measure("test device", Bytes, 3, seconds.Dequeue);

        Assert.Empty(seconds);
        Assert.Equal(BandwidthSource.Device, measured.Source);
        Assert.Equal("test device", measured.Device);
        Assert.Equal(3, measured.Trials);
        // 2 × 256 MiB moved per copy.
        Assert.Equal(2.0 * Bytes / 0.002 / 1e9, measured.Best, 9);
        Assert.Equal(2.0 * Bytes / 0.004 / 1e9, measured.GigabytesPerSecond.Median, 9);
        Assert.Equal(2.0 * Bytes / 0.008 / 1e9, measured.GigabytesPerSecond.Min, 9);
    }

    [Theory]
    [InlineData(80L << 30, 256L << 20)]  // a large GPU: the full size
    [InlineData(1L << 30, 128L << 20)]   // an eighth of a small one
    [InlineData(10_000_001L, 1_249_792L)] // whole multiples of 256 bytes
    public void Buffers_are_256_mib_or_an_eighth_of_the_spare_memory(long available, long expected) =>
        Assert.Equal(expected, DeviceCopyBandwidth.BufferBytes(available));

    [Theory]
    [InlineData(Bytes, 0, "bandwidth trials must be at least 1, got 0")]
    [InlineData(4096L, 3, "test device has too little free memory to measure its bandwidth (4,096-byte buffers)")]
    public void Impossible_settings_are_refused_before_any_copy(long bytes, int trials, string message)
    {
        var copies = 0;
        var error = Assert.Throws<LlmcException>(() => DeviceCopyBandwidth.Measure("test device", bytes, trials, () => ++copies));
        Assert.Equal(message, error.Message);
        Assert.Equal(0, copies);
    }
}
