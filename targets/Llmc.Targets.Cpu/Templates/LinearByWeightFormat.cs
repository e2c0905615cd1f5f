using Llmc.Ir;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>The <c>linear</c> kernel: the quantized template for a packed weight, the float template otherwise.</summary>
public sealed class LinearByWeightFormat : ICpuKernelTemplate
{
    private readonly LinearTemplate _float = new();
    private readonly QuantizedLinearTemplate _quantized = new();

    public void Render(KernelSource kernel) =>
        (kernel.Instance.Operands[1].DType.IsQuantized() ? (ICpuKernelTemplate)_quantized : _float).Render(kernel);
}
