using System.Runtime.Intrinsics.X86;
using Llmc.Runtime.Devices.Cpu;

namespace Llmc.Targets.Tests.Cpu;

public sealed class CpuIsaTests
{
    [Fact]
    public void Avx512_is_missing_exactly_when_the_cpu_lacks_avx512f_or_bw()
    {
        var missing = CpuIsa.Missing(CpuIsa.Avx512Target);
        if (Avx512F.IsSupported && Avx512BW.IsSupported) Assert.Null(missing);
        else Assert.Matches("^this CPU lacks AVX-512(F|BW)( and AVX-512BW)? required by target cpu-avx512$", missing);
    }

    [Fact]
    public void Avx2_needs_avx2_and_fma()
    {
        var missing = CpuIsa.Missing(CpuIsa.Avx2Target);
        if (Avx2.IsSupported && Fma.IsSupported) Assert.Null(missing);
        else Assert.Contains("required by target cpu-avx2", missing);
    }

    [Fact]
    public void Best_is_the_first_supported_target()
    {
        var expected = Avx512F.IsSupported && Avx512BW.IsSupported ? CpuIsa.Avx512Target : Avx2.IsSupported && Fma.IsSupported ? CpuIsa.Avx2Target : null;
        Assert.Equal(expected, CpuIsa.Best);
    }

    [Theory]
    [InlineData(CpuIsa.Avx2Target, 256)]
    [InlineData(CpuIsa.Avx512Target, 512)]
    public void Each_target_has_its_vector_width(string target, int bits)
    {
        Assert.Equal(bits, CpuIsa.VectorBits(target));
    }

    [Fact]
    public void An_unknown_target_has_no_vector_width()
    {
        var error = Assert.Throws<ArgumentException>(() => CpuIsa.VectorBits("vulkan"));
        Assert.Contains("'vulkan' is not a CPU target", error.Message);
    }

    [Fact]
    public void An_unknown_target_is_named_in_the_message()
    {
        Assert.Contains("'cpu-neon' is not a CPU target", CpuIsa.Missing("cpu-neon"));
    }
}
