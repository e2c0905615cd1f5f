using Llmc.Ir;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>The <c>embedding</c> kernel: the quantized gather for a packed table, the float one otherwise.</summary>
public sealed class RowGatherByTableFormat : ICpuKernelTemplate
{
    private readonly RowGatherTemplate _float = new();
    private readonly QuantizedRowGatherTemplate _quantized = new();

    public void Render(KernelSource kernel) =>
        (kernel.Instance.Operands[0].DType.IsQuantized() ? (ICpuKernelTemplate)_quantized : _float).Render(kernel);
}
