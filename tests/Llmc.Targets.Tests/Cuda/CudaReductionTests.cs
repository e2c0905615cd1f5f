using Llmc.Ir;
using Llmc.Targets.Cuda;
using Llmc.Targets.Emit;
using Llmc.Targets.Gpu;
using Llmc.Targets.Conformance;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// CUDA reductions (<see cref="GpuKernelSource.Reduce"/> with <see cref="CudaDialect"/>): butterfly warp shuffles within
/// each run of threads, shared memory only to combine the warps of a run wider than one; every CUDA block is whole
/// warps, as the full-mask shuffles need. The plain Vulkan dialect keeps its shared-memory tree.
/// </summary>
public sealed class CudaReductionTests
{
    private static readonly CudaDialect Dialect = new("cuda-sm89");

    [Fact]
    public void Every_CUDA_kernel_runs_in_whole_warps()
    {
        foreach (var kernel in CudaConformanceBuild.Kernels)
        {
            var launch = GpuKernels.Render(Dialect, CudaTemplates.Default, kernel).Launch;
            Assert.True(launch.LocalSize % 32 == 0, $"{kernel.Name} runs blocks of {launch.LocalSize} threads");
        }
    }

    [Fact]
    public void Rms_norm_sums_with_warp_shuffles_then_across_warps_where_vulkan_uses_a_tree()
    {
        var kernel = ConformanceCases.All.First(c => c.Kernel.Template == "rms_norm").Kernel;
        var cuda = GpuKernels.Render(Dialect, CudaTemplates.Default, kernel);
        Assert.Equal(128, cuda.Launch.LocalSize);
        Assert.Contains("for (int offset = 16; offset > 0; offset >>= 1) partialTotal0 = partialTotal0 + __shfl_xor_sync(0xffffffffu, partialTotal0, offset);", cuda.Text);
        // Four warps: each warp's first lane stores its total, every thread adds the four.
        Assert.Contains("if (((int)threadIdx.x & 31) == 0) partial[(int)threadIdx.x / 32] = partialTotal0;", cuda.Text);
        Assert.Contains("for (int s = 1; s < 4; s++)", cuda.Text);
        Assert.DoesNotContain("stride", cuda.Text);

        var glsl = GpuKernels.Render(GlslDialect.Instance, GpuTemplates.Default, kernel).Text;
        Assert.Contains("stride", glsl);
        Assert.DoesNotContain("shfl", glsl);
    }

    [Fact]
    public void A_run_narrower_than_a_warp_shuffles_within_the_run_with_no_shared_memory_or_barrier()
    {
        // Weight rows under 64 words get runs of 8 lanes per output column.
        var kernel = ConformanceCases.All.First(c => c.Kernel.Template == "linear" && c.Kernel.Operands[1].DType == DType.F32 && c.Kernel.Operands[1][1].Size < 64).Kernel;
        var text = GpuKernels.Render(Dialect, CudaTemplates.Default, kernel).Text;
        Assert.Contains("for (int offset = 4; offset > 0; offset >>= 1)", text);
        Assert.DoesNotContain("partial[", text.Replace("__shared__ float partial[", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("__syncthreads", text);
    }

    [Fact]
    public void A_block_that_is_not_whole_warps_is_refused_naming_the_kernel()
    {
        var kernel = ConformanceCases.All.First(c => c.Kernel.Template == "rms_norm").Kernel;
        var source = new GpuKernelSource(new SourceWriter(), Dialect, kernel, new GpuKernelShape(48, 1, Dim.Seq, []));
        var error = Assert.Throws<TargetException>(() => source.Sum("partial", "v", 16));
        Assert.Equal($"{kernel.Name}: warp reductions need a block of whole 32-thread warps, got 48 threads", error.Message);
    }
}
