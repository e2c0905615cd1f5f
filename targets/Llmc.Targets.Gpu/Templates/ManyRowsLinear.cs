namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The many-rows code of the linear family: the same matrix-vector kernel with tiles of
/// <see cref="MatVecLayout.ManyRowsAccumulators"/> ÷ the weight rows per column (64 rows, or 32 for a gated pair),
/// quantized weights' activation codes staged a chunk at a time (<see cref="ActivationStaging.Chunks"/>) so the tile
/// does not shrink with K; each weight word is read once per tile instead of once per 4 rows. Each row is computed
/// exactly as in the kernel of any step (same lanes, order of products and reductions), so a request's tokens do not
/// depend on which code its step ran. It runs from twice the other kernel's tile on.
/// </summary>
public sealed class ManyRowsLinear(LinearFusion fusion) : IManyRowsTemplate
{
    private readonly LinearByWeightFormat _anyStep = new(fusion, MatVecLayout.AnyStepRows, ActivationStaging.WholeRows);
    private readonly LinearByWeightFormat _manyRows = new(fusion, MatVecLayout.ManyRowsAccumulators / fusion.Rows.Count, ActivationStaging.Chunks);

    public bool AppliesTo(KernelInstance instance) => _manyRows.Shape(instance).RowsPerGroup > _anyStep.Shape(instance).RowsPerGroup;

    /// <summary>From twice the tile of the kernel of any step on: where that kernel would read every weight word twice.</summary>
    public int MinRows(KernelInstance instance) => 2 * MatVecLayout.AnyStepRows;

    // Each row is computed exactly as in the kernel of any step (above).
    public bool SameRounding => true;

    public GpuKernelShape Shape(KernelInstance instance) => _manyRows.Shape(instance);

    public void Render(GpuKernelSource kernel) => _manyRows.Render(kernel);
}
