using Llmc.Ir;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// A linear-family op: the float-weight or the quantized-weight kernel, by the weight's dtype, in tiles of up to
/// <paramref name="maxRows"/> rows (<see cref="MatVecLayout"/>).
/// </summary>
public sealed class LinearByWeightFormat(LinearFusion fusion, int maxRows) : IGpuKernelTemplate
{
    private readonly LinearTemplate _float = new(fusion, maxRows);
    private readonly QuantizedLinearTemplate _quantized = new(fusion, maxRows);

    public GpuKernelShape Shape(KernelInstance instance) => Quantized(instance) ? _quantized.Shape(instance) : _float.Shape(instance);

    public void Render(GpuKernelSource kernel)
    {
        if (Quantized(kernel.Instance)) _quantized.Render(kernel);
        else _float.Render(kernel);
    }

    /// <summary>The rows a workgroup takes for this instance.</summary>
    public int TileRows(KernelInstance instance) => (Quantized(instance) ? _quantized.Layout(instance) : _float.Layout(instance)).Rows;

    private static bool Quantized(KernelInstance instance) => instance.Operands[1].DType.IsQuantized();
}
