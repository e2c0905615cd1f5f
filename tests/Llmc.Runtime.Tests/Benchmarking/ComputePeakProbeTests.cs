using System.Runtime.Intrinsics.X86;
using Llmc.Runtime.Benchmarking;

namespace Llmc.Runtime.Tests.Benchmarking;

public sealed class ComputePeakProbeTests
{
    [Theory]
    [InlineData(PeakKind.FusedMultiplyAdd, 256, 1)]
    [InlineData(PeakKind.IntegerMultiplyAdd, 256, 2)]
    [InlineData(PeakKind.FusedMultiplyAdd, 512, 2)]
    [InlineData(PeakKind.IntegerMultiplyAdd, 512, 1)]
    public void The_peak_is_reported_for_the_widest_vectors_the_cpu_runs(PeakKind kind, int bits, int threads)
    {
        var peak = ComputePeakProbe.Measure(kind, bits, threads);
        // Without AVX-512 a 512-bit engine cannot run here, and the probe falls back to the 256-bit loop.
        var expectedBits = bits == 512 && Avx512BW.IsSupported ? 512 : 256;
        Assert.Equal((kind, expectedBits, threads), (peak.Kind, peak.VectorBits, peak.Threads));
        Assert.True(peak.GigaOpsPerSecond > 0, $"{peak.GigaOpsPerSecond} G ops/s");
    }

    [Fact]
    public void No_threads_is_refused()
    {
        var error = Assert.Throws<LlmcException>(() => ComputePeakProbe.Measure(PeakKind.FusedMultiplyAdd, 256, 0));
        Assert.Equal("threads must be at least 1, got 0", error.Message);
    }
}
