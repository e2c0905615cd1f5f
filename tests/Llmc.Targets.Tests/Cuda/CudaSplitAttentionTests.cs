using System.Text;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Format;
using Llmc.Targets.Conformance;
using Llmc.Targets.Cuda;
using Llmc.Targets.Cuda.Templates;
using Llmc.Targets.Gpu;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// CUDA attention's two codes: the split kernel for steps of up to <see cref="SplitAttention.MaxRows"/> rows and the
/// shared whole-row kernel above. Compiled with NVRTC for sm_90 on their own (no GPU needed); that they give a row the
/// same bits is checked on a GPU by <see cref="CudaConformanceTests"/> and <c>llmc selftest --target cuda-sm90</c>.
/// </summary>
public sealed class CudaSplitAttentionTests
{
    private static readonly CudaDialect Dialect = new("cuda-sm90");

    private static IReadOnlyList<KernelInstance> Kernels { get; } =
        [.. ConformanceCases.All.Concat(ConformanceCases.Int8KvCache).Select(c => c.Kernel).Where(k => k.Template.StartsWith("attention", StringComparison.Ordinal)).Distinct()];

    [Fact]
    public void Steps_of_few_rows_split_each_row_and_longer_steps_run_the_shared_template()
    {
        Assert.Contains(Kernels, k => k.Template == "attention_qk_norm_rope");
        foreach (var kernel in Kernels)
        {
            var split = GpuKernels.Render(Dialect, CudaTemplates.Default, kernel);
            var whole = GpuKernels.RenderManyRows(Dialect, CudaTemplates.ManyRows, kernel)!;
            var shared = GpuKernels.Render(Dialect, GpuTemplates.Default, kernel);
            int heads = kernel.Attrs.GetInt("n_heads"), chunks = (kernel.Attrs.GetInt("context") + AttentionChunks.Chunk - 1) / AttentionChunks.Chunk;
            Assert.Equal(heads * Math.Min(chunks, SplitAttention.MostSplits), split.Launch.GroupsX);
            Assert.Equal("seq", split.Launch.GroupsY);
            Assert.Equal(0, split.Launch.MinRows);
            Assert.Equal(Math.Max(1, 128 / heads) + 1, whole.Launch.MinRows);
            // The many-rows code is the shared template, renamed.
            Assert.Equal(shared.Launch with { MinRows = whole.Launch.MinRows, SameRounding = true }, whole.Launch);
            Assert.Equal(shared.Text.Replace(kernel.Name + "(", kernel.Name + "_rows(", StringComparison.Ordinal), whole.Text);
        }
    }

    [NvrtcFact]
    public void The_split_code_folds_chunks_after_an_atomic_count_and_the_whole_row_code_counts_nothing()
    {
        var compiled = new CudaTarget([90]).Compile(Kernels);
        var ptx = Encoding.UTF8.GetString(compiled.Sections[CudaKernelAbi.PtxSection(90)]);
        foreach (var kernel in Kernels)
        {
            var split = PtxText.Entry(ptx, kernel.Name);
            Assert.Contains("atom.global.add.u32", split);
            Assert.Contains("membar.gl", split);
            Assert.Contains("shfl.sync.bfly.b32", split);
            var whole = PtxText.Entry(ptx, kernel.Name + "_rows");
            // (kv8 caches store their bytes with atomic and/or; nothing counts arrivals.)
            Assert.DoesNotContain("atom.global.add", whole);
            Assert.Contains("shfl.sync.bfly.b32", whole);
            Assert.Contains(compiled.Kernels, k => k.Entry == kernel.Name + "_rows" && StepCode.IsManyRows(k.Launch));
        }
    }
}
