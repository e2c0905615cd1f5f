namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The many-rows code of the linear family: the same matrix-vector kernel with tiles of up to
/// <see cref="MatVecLayout.ManyRowsRows"/> rows (quantized weights: as many as the shared memory holds for their int8
/// activation rows), so a prefill step reads each weight word once per tile instead of once per 4 rows. Each row is
/// computed exactly as in the kernel of any step (same lanes, order of products and reductions), so a request's tokens
/// do not depend on which code its step ran. It applies where its tile is larger than the other's.
/// </summary>
public sealed class ManyRowsLinear(LinearFusion fusion) : IManyRowsTemplate
{
    private readonly LinearByWeightFormat _anyStep = new(fusion, MatVecLayout.AnyStepRows);
    private readonly LinearByWeightFormat _manyRows = new(fusion, MatVecLayout.ManyRowsRows);

    public bool AppliesTo(KernelInstance instance) => _manyRows.Shape(instance).RowsPerGroup > _anyStep.Shape(instance).RowsPerGroup;

    /// <summary>A step of at least one whole tile.</summary>
    public int MinRows(KernelInstance instance) => _manyRows.Shape(instance).RowsPerGroup;

    public GpuKernelShape Shape(KernelInstance instance) => _manyRows.Shape(instance);

    public void Render(GpuKernelSource kernel) => _manyRows.Render(kernel);
}
