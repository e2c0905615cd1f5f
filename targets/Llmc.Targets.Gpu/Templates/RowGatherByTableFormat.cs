using Llmc.Ir;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>The <c>embedding</c> kernel: the quantized gather for a packed table, the float one otherwise.</summary>
public sealed class RowGatherByTableFormat : IGpuKernelTemplate
{
    private readonly RowGatherTemplate _float = new();
    private readonly QuantizedRowGatherTemplate _quantized = new();

    public GpuKernelShape Shape(KernelInstance instance) => For(instance).Shape(instance);

    public void Render(GpuKernelSource kernel) => For(kernel.Instance).Render(kernel);

    private IGpuKernelTemplate For(KernelInstance instance) => instance.Operands[0].DType.IsQuantized() ? _quantized : _float;
}
