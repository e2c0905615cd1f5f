using Llmc.Ir;
using Llmc.Targets.Cuda;
using Llmc.Targets.Gpu;
using Llmc.Targets.Tests.Conformance;

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
    public void Decode_attention_grid_has_a_workgroup_per_head_and_split()
    {
        var kernel = ConformanceCases.All.First(c => c.Name.StartsWith("attention heads=4 kv_heads=2 head_dim=64 context=300", StringComparison.Ordinal)).Kernel;
        var cuda = GpuKernels.Render(Dialect, CudaTemplates.Default, kernel);
        Assert.Contains("if (seq == 1)", cuda.Text);
        Assert.Equal(4 * 3, cuda.Launch.GroupsX); // 300 positions in splits of 128
        Assert.Equal("seq", cuda.Launch.GroupsY);
    }

    [Fact]
    public void Int8_cache_attention_is_left_to_the_shared_template()
    {
        var kernel = ConformanceCases.Int8KvCache.First(c => c.Kernel.Template == "attention").Kernel;
        var cuda = Render(CudaTemplates.Default, kernel);
        var shared = Render(GpuTemplates.Default, kernel);
        Assert.Equal(shared, cuda);
        Assert.DoesNotContain("seq == 1", cuda);
    }

    // The kernel text, or the refusal's message: the shared GPU template may not store kv8 caches (yet).
    private static string Render(IReadOnlyDictionary<string, IGpuKernelTemplate> templates, KernelInstance kernel)
    {
        try
        {
            return GpuKernels.Render(Dialect, templates, kernel).Text;
        }
        catch (TargetException e)
        {
            return e.Message;
        }
    }
}
