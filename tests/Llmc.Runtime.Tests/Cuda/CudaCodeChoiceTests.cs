using Llmc.Runtime;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Format;

namespace Llmc.Runtime.Tests.Cuda;

/// <summary>Which code a GPU loads from a (fat) CUDA engine, decided from the kernel table alone.</summary>
public sealed class CudaCodeChoiceTests
{
    // The kernel table of a cuda-sm80,cuda-sm89 engine: PTX for compute_80, cubins for sm_80 and sm_89, two kernels each.
    private static readonly List<KernelEntry> FatTable =
    [
        .. new[] { "rms_norm_a", "linear_b" }.SelectMany(name => new[]
        {
            Entry(name, CudaKernelAbi.PtxSection(80), CudaKernelAbi.PtxFormat),
            Entry(name, CudaKernelAbi.CubinSection(80), CudaKernelAbi.CubinFormat),
            Entry(name, CudaKernelAbi.CubinSection(89), CudaKernelAbi.CubinFormat),
        }),
    ];

    [Theory]
    [InlineData(89, "kernels.cuda.sm_89", "cubin")] // exact match
    [InlineData(80, "kernels.cuda.sm_80", "cubin")]
    [InlineData(86, "kernels.cuda.sm_80", "cubin")] // same major, newer minor: the sm_80 cubin runs
    [InlineData(87, "kernels.cuda.sm_80", "cubin")]
    [InlineData(90, "kernels.cuda.compute_80", "ptx")] // a newer major runs no older cubin: the driver JITs the PTX
    [InlineData(120, "kernels.cuda.compute_80", "ptx")]
    public void PicksTheNewestCompatibleCubinElseThePtx(int gpu, string section, string format)
    {
        var available = CudaCodeChoice.Available(FatTable);
        Assert.Equal(3, available.Count);
        var code = CudaCodeChoice.Pick(available, gpu, "test GPU");
        Assert.Equal((section, format), (code.Section, code.Format));
    }

    [Fact]
    public void A_gpu_older_than_every_cubin_and_the_ptx_is_refused_naming_both()
    {
        var error = Assert.Throws<LlmcException>(() => CudaCodeChoice.Pick(CudaCodeChoice.Available(FatTable), 75, "Tesla T4"));
        Assert.Equal("the GPU Tesla T4 (compute capability 7.5) is older than every architecture this engine was built for " +
                     "(ptx 8.0, cubin 8.0, cubin 8.9)", error.Message);
    }

    [Fact]
    public void A_kernel_section_that_is_not_cuda_code_is_refused()
    {
        var error = Assert.Throws<LlmcException>(() => CudaCodeChoice.Available([Entry("k", "kernels.cpu", "dotnet-il")]));
        Assert.Contains("'kernels.cpu' is not CUDA code", error.Message);
    }

    [Theory]
    [InlineData("kernels.cuda.compute_80", 80)]
    [InlineData("kernels.cuda.sm_90", 90)]
    [InlineData("kernels.cuda.sm_x", null)]
    [InlineData("tensor/w", null)]
    public void Section_names_carry_their_architecture(string section, int? architecture) =>
        Assert.Equal(architecture, CudaKernelAbi.ArchitectureOf(section));

    [Fact]
    public void Target_names_are_ascending_and_distinct()
    {
        Assert.Equal("cuda-sm80,cuda-sm89,cuda-sm90", CudaKernelAbi.TargetName([90, 80, 89, 80]));
        Assert.True(CudaKernelAbi.IsCudaTarget("cuda-sm80,cuda-sm89"));
        Assert.False(CudaKernelAbi.IsCudaTarget("cpu-avx2"));
    }

    private static KernelEntry Entry(string name, string section, string format) => new()
    {
        Name = name, Template = "t", Params = [], Section = section, Entry = name, Format = format,
        Launch = new KernelLaunch { LocalSize = 128, GroupsX = 1, GroupsY = "seq" },
    };
}
