using Llmc.Ir;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// The <c>linear</c> kernel (and, with a <see cref="LinearFusion"/>, a fused linear's): the quantized template for a
/// packed weight, the float template otherwise.
/// </summary>
public sealed class LinearByWeightFormat(LinearFusion? fusion = null) : ICpuKernelTemplate
{
    private readonly LinearTemplate _float = new(fusion);
    private readonly QuantizedLinearTemplate _quantized = new(fusion);

    public void Render(KernelSource kernel) =>
        (kernel.Instance.Operands[1].DType.IsQuantized() ? (ICpuKernelTemplate)_quantized : _float).Render(kernel);
}
