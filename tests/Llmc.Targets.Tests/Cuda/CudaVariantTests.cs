using Llmc.Ir;
using Llmc.Targets.Cuda;
using Llmc.Targets.Gpu;
using Llmc.Targets.Conformance;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// Where the CUDA-only variants apply: inside the same entry as the shared kernel, switched on <c>seq</c>, only for the
/// instances they can compute; every other instance is exactly the shared kernel.
/// </summary>
public sealed class CudaVariantTests
{
    private static readonly CudaDialect Dialect = new("cuda-sm89");

    [Fact]
    public void F32_linear_is_the_shared_kernel_unchanged()
    {
        var kernel = ConformanceCases.All.First(c => c.Kernel.Template == "linear" && c.Kernel.Operands[1].DType == DType.F32).Kernel;
        var cuda = GpuKernels.Render(Dialect, CudaTemplates.Default, kernel);
        var shared = GpuKernels.Render(Dialect, GpuTemplates.Default, kernel);
        Assert.Equal(shared.Text, cuda.Text);
        Assert.Equal(shared.Launch, cuda.Launch);
    }

    [Fact]
    public void Half_weight_linear_branches_to_tensor_cores_for_prefill_and_keeps_the_shared_decode_kernel()
    {
        var kernel = CudaOnlyCases.Get("linear f16 rows=130 k=172 n=64").Kernel;
        var cuda = GpuKernels.Render(Dialect, CudaTemplates.Default, kernel);
        var sharedShape = GpuTemplates.Default["linear"].Shape(kernel);
        Assert.Contains("if (seq > 1)", cuda.Text);
        Assert.Contains($"else if ((int)blockIdx.x < {sharedShape.GroupsX})", cuda.Text);
        // 64 weight rows are one tensor-core tile column: the grid is the wider of 1 and the shared kernel's.
        Assert.Equal(Math.Max(1, sharedShape.GroupsX), cuda.Launch.GroupsX);
        Assert.Equal(sharedShape.Launch.GroupsY, cuda.Launch.GroupsY);
        Assert.Equal(sharedShape.LocalSize, cuda.Launch.LocalSize);
    }

    [Fact]
    public void Attention_is_the_shared_kernel_for_every_step_so_a_row_rounds_alike_alone_and_batched()
    {
        // Every attention case, the kv8 ones too.
        foreach (var kernel in ConformanceCases.Every.Where(c => c.Kernel.Template is "attention" or "attention_rope").Select(c => c.Kernel))
        {
            var cuda = GpuKernels.Render(Dialect, CudaTemplates.Default, kernel);
            var shared = GpuKernels.Render(Dialect, GpuTemplates.Default, kernel);
            Assert.Equal(shared.Text, cuda.Text);
            Assert.Equal(shared.Launch, cuda.Launch);
        }
    }
}
