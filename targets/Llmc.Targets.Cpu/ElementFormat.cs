using Llmc.Ir;

namespace Llmc.Targets.Cpu;

/// <summary>
/// How a float operand's elements are stored and read as f32. Templates load every float operand through this,
/// so an f16, bf16 or block-quantized weight variant is one more subclass, not another copy of each template.
/// </summary>
public abstract class ElementFormat
{
    /// <summary>The C# element type the operand's pointer is declared with.</summary>
    public abstract string ElementType { get; }

    /// <summary>An f32 vector of the dialect's lane count read from <c>pointer[index..]</c>.</summary>
    public abstract string LoadVector(CpuDialect dialect, string pointer, string index);

    /// <summary>One f32 read from <c>pointer[index]</c>.</summary>
    public abstract string LoadScalar(string pointer, string index);

    public static ElementFormat For(DType dtype) => dtype switch
    {
        DType.F32 => F32Elements.Instance,
        _ => throw new TargetException($"CPU kernels do not read {dtype.Name()} tensors yet"),
    };

    private sealed class F32Elements : ElementFormat
    {
        public static readonly F32Elements Instance = new();

        public override string ElementType => "float";

        public override string LoadVector(CpuDialect dialect, string pointer, string index) => dialect.Load($"{pointer} + {index}");

        public override string LoadScalar(string pointer, string index) => $"{pointer}[{index}]";
    }
}
