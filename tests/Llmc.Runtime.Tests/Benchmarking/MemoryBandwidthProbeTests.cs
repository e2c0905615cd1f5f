using Llmc.Runtime.Benchmarking;

namespace Llmc.Runtime.Tests.Benchmarking;

public sealed class MemoryBandwidthProbeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Every_trial_is_reported_and_the_best_is_the_roofline(int threads)
    {
        var measured = MemoryBandwidthProbe.Measure(bytes: 64L << 20, trials: 4, threads: threads);
        Assert.Equal((threads, 4), (measured.Threads, measured.Trials));
        Assert.Equal((BandwidthSource.Host, null), (measured.Source, measured.Device));
        var spread = measured.GigabytesPerSecond;
        Assert.True(spread.Min > 0 && spread.Min <= spread.Median && spread.Median <= spread.Max, $"{spread}");
        Assert.Equal(spread.Max, measured.Best);
    }

    [Theory]
    [InlineData(1L << 20, 2, 3, "a 1048576-byte buffer is too small to measure bandwidth with 3 threads")]
    [InlineData(64L << 20, 0, 1, "bandwidth trials must be at least 1, got 0")]
    [InlineData(64L << 20, 2, 0, "threads must be at least 1, got 0")]
    public void Impossible_settings_are_refused(long bytes, int trials, int threads, string message)
    {
        var error = Assert.Throws<LlmcException>(() => MemoryBandwidthProbe.Measure(bytes, trials, threads));
        Assert.Equal(message, error.Message);
    }
}
