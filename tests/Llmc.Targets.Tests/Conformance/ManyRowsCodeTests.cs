using Llmc.Ir;
using Llmc.Runtime.Format;
using Llmc.Targets.Conformance;
using Llmc.Targets.Cuda;
using Llmc.Targets.Gpu;
using Llmc.Targets.Gpu.Templates;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.Conformance;

/// <summary>
/// Which kernels get a many-rows code, with what launch: the linear family where a larger row tile fits (f16/bf16
/// weights on tensor cores on CUDA), attention on CUDA (whole rows above the split code's steps), never a kernel whose
/// rows are not the step's, never another op; and which of those codes round a row as the code of any step does.
/// </summary>
public sealed class ManyRowsCodeTests
{
    private static readonly CudaDialect Cuda = new("cuda-sm89");

    private static KernelInstance Case(string name) => ConformanceCases.Get(name).Kernel;

    [Fact]
    public void F32_linear_takes_64_rows_a_workgroup_from_8_rows_on_and_4_below()
    {
        var kernel = Case("linear rows=33 k=64 n=300");
        var any = GpuKernels.Render(GlslDialect.Instance, GpuTemplates.Default, kernel);
        var many = GpuKernels.RenderManyRows(GlslDialect.Instance, GpuTemplates.ManyRows, kernel)!;
        Assert.Equal(0, any.Launch.MinRows);
        Assert.Equal("ceil(seq/4)", any.Launch.GroupsY);
        Assert.Equal(8, many.Launch.MinRows);
        Assert.Equal("ceil(seq/64)", many.Launch.GroupsY);
        Assert.Equal(any.Launch.GroupsX, many.Launch.GroupsX);
        Assert.Equal(kernel.Name + "_rows", many.Entry);
        Assert.True(many.Launch.SameRounding);
        // CUDA's many-rows code for f32 weights is the shared one.
        Assert.Equal(GpuKernels.RenderManyRows(Cuda, GpuTemplates.ManyRows, kernel)!.Text, GpuKernels.RenderManyRows(Cuda, CudaTemplates.ManyRows, kernel)!.Text);
    }

    [Fact]
    public void A_gated_pair_keeps_two_accumulators_a_row_so_its_tile_takes_32_rows()
    {
        var kernel = Case("rms_norm_linear_swiglu q8g32 rows=33 k=600 n=18");
        Assert.Equal("ceil(seq/32)", GpuKernels.RenderManyRows(GlslDialect.Instance, GpuTemplates.ManyRows, kernel)!.Launch.GroupsY);
    }

    [Fact]
    public void Quantized_linear_stages_a_chunk_of_codes_at_a_time_so_its_tile_does_not_shrink_with_K()
    {
        // The kernel of any step stages whole rows: 4 rows at K = 2048, one at K = 8192.
        var wide = Case("linear q8g32 rows=23 k=2048 n=19");
        var longest = Case("linear q8g32 rows=5 k=8192 n=61");
        Assert.Equal("ceil(seq/4)", GpuKernels.Render(GlslDialect.Instance, GpuTemplates.Default, wide).Launch.GroupsY);
        Assert.Equal("seq", GpuKernels.Render(GlslDialect.Instance, GpuTemplates.Default, longest).Launch.GroupsY);
        // The many-rows code stages 256 codes of every row (64 words and 8 groups' scales and sums): 48 rows beside the
        // reduction's 1 KiB of 16 KiB, at any K; 40 with 16-code groups (twice the scales and sums).
        foreach (var kernel in new[] { Case("linear q8g32 rows=17 k=64 n=37"), wide, longest })
            Assert.Equal("ceil(seq/48)", GpuKernels.RenderManyRows(GlslDialect.Instance, GpuTemplates.ManyRows, kernel)!.Launch.GroupsY);
        Assert.Equal("ceil(seq/40)", GpuKernels.RenderManyRows(GlslDialect.Instance, GpuTemplates.ManyRows, Case("linear q8g16k rows=50 k=600 n=37"))!.Launch.GroupsY);
    }

    [Fact]
    public void Half_weight_linear_runs_on_tensor_cores_from_two_rows_on_cuda_with_a_workgroup_per_64_by_64_tile()
    {
        var kernel = CudaOnlyCases.Get("linear f16 rows=130 k=172 n=64").Kernel;
        var many = GpuKernels.RenderManyRows(Cuda, CudaTemplates.ManyRows, kernel)!;
        Assert.Contains("mma.sync", CudaTarget.TryParse("cuda-sm89")!.Render([kernel]).Text);
        Assert.Equal(2, many.Launch.MinRows);
        Assert.False(many.Launch.SameRounding);
        Assert.Equal(1, many.Launch.GroupsX);
        Assert.Equal("ceil(seq/64)", many.Launch.GroupsY);
        // The decode kernel is the shared one, untouched.
        Assert.Equal(GpuKernels.Render(Cuda, GpuTemplates.Default, kernel).Text, GpuKernels.Render(Cuda, CudaTemplates.Default, kernel).Text);
        // Vulkan has no tensor cores: its many-rows code is the shared matrix-vector kernel.
        Assert.DoesNotContain("mma", GpuKernels.RenderManyRows(GlslDialect.Instance, GpuTemplates.ManyRows, kernel)!.Text);
    }

    [Fact]
    public void Kernels_whose_rows_are_not_the_steps_have_no_many_rows_code()
    {
        // The LM head's rows are the logit rows (out), not the step's rows (seq) the executor chooses by.
        var head = new KernelInstance("linear", [new TensorType(DType.F32, Dim.Out, 64), new TensorType(DType.F32, 300, 64)],
            new TensorType(DType.F32, Dim.Out, 300), new Attributes());
        Assert.Null(GpuKernels.RenderManyRows(GlslDialect.Instance, GpuTemplates.ManyRows, head));
        Assert.Null(GpuKernels.RenderManyRows(Cuda, CudaTemplates.ManyRows, head));
    }

    [Fact]
    public void Only_the_linear_family_has_many_rows_code_and_on_cuda_attention()
    {
        foreach (var c in ConformanceCases.Every.Where(c => !FusedLinearOpIsLinear(c.Kernel)))
        {
            Assert.Null(GpuKernels.RenderManyRows(GlslDialect.Instance, GpuTemplates.ManyRows, c.Kernel));
            var cuda = GpuKernels.RenderManyRows(Cuda, CudaTemplates.ManyRows, c.Kernel);
            if (c.Kernel.Template.StartsWith("attention", StringComparison.Ordinal)) Assert.True(cuda!.Launch.SameRounding);
            else Assert.Null(cuda);
        }
    }

    [Fact]
    public void A_batch_invariant_choice_drops_many_rows_code_that_rounds_apart()
    {
        var any = new KernelLaunch { LocalSize = 64, GroupsX = 1, GroupsY = "seq" };
        var apart = any with { MinRows = 2 };
        var alike = apart with { SameRounding = true };
        StepCode<KernelLaunch> Choose(KernelLaunch many, bool invariant) => StepCode.Of("k", [any, many], l => l, codes => codes[0], invariant);
        Assert.Same(apart, Choose(apart, invariant: false).For(2));
        Assert.Same(any, Choose(apart, invariant: true).For(2));
        Assert.Null(Choose(apart, invariant: true).ManyRows);
        Assert.Same(alike, Choose(alike, invariant: true).For(2));
        Assert.Same(any, Choose(alike, invariant: true).For(1));
    }

    [Fact]
    public void The_vulkan_target_compiles_each_many_rows_code_in_both_variants_into_its_own_sections()
    {
        var kernel = Case("linear rows=33 k=64 n=300");
        var sections = VulkanTarget.Variants.SelectMany(d => new[] { VulkanTarget.SectionOf(kernel, d), VulkanTarget.SectionOf(kernel, d, manyRows: true) }).ToList();
        Assert.Equal(["kernels.vulkan." + kernel.Name, "kernels.vulkan.rows." + kernel.Name, "kernels.vulkan.subgroup." + kernel.Name, "kernels.vulkan.subgroup.rows." + kernel.Name], sections);
        Assert.Equal(4, sections.Distinct().Count());
        Assert.True(StepCode.IsManyRows(GpuKernels.RenderManyRows(GlslDialect.WithSubgroups, GpuTemplates.ManyRows, kernel)!.Launch));
    }

    private static bool FusedLinearOpIsLinear(KernelInstance kernel) =>
        OpRegistry.TryGet(kernel.Template, out var op) && Ir.Ops.FusedLinearOp.IsLinearFamily(op);
}
