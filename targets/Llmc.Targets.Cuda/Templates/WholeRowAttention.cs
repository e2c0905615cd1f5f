using Llmc.Targets.Gpu;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Cuda.Templates;

/// <summary>
/// The shared attention template (a workgroup per head and row, computing the row whole) as CUDA's code for steps of
/// more rows than <see cref="SplitAttention"/> takes: there the rows alone start enough workgroups, and the scratch
/// the split would need grows with the rows.
/// </summary>
public sealed class WholeRowAttention(bool rotary = false, bool qkNorm = false) : IManyRowsTemplate
{
    private readonly AttentionTemplate _template = new(rotary, qkNorm);

    public bool AppliesTo(KernelInstance instance) => true;

    public int MinRows(KernelInstance instance) => SplitAttention.MaxRows(instance) + 1;

    // Both codes fold a row's chunks in order with the same arithmetic (SoftmaxState).
    public bool SameRounding => true;

    public GpuKernelShape Shape(KernelInstance instance) => _template.Shape(instance);

    public void Render(GpuKernelSource kernel) => _template.Render(kernel);
}
