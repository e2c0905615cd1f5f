using Llmc.Ir;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// A linear-family op: the float-weight or the quantized-weight kernel, by the weight's dtype, in tiles of up to
/// <paramref name="maxRows"/> rows (<see cref="MatVecLayout"/>), quantized weights' activation codes staged as
/// <paramref name="staging"/> says.
/// </summary>
public sealed class LinearByWeightFormat(LinearFusion fusion, int maxRows, ActivationStaging staging) : IGpuKernelTemplate
{
    private readonly LinearTemplate _float = new(fusion, maxRows);
    private readonly QuantizedLinearTemplate _quantized = new(fusion, maxRows, staging);

    public GpuKernelShape Shape(KernelInstance instance) => For(instance).Shape(instance);

    public void Render(GpuKernelSource kernel) => For(kernel.Instance).Render(kernel);

    private IGpuKernelTemplate For(KernelInstance instance) => instance.Operands[1].DType.IsQuantized() ? _quantized : _float;
}
