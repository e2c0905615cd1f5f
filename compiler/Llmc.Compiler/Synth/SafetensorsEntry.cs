using Llmc.Ir;

namespace Llmc.Compiler.Synth;

/// <summary>One tensor to be written by <see cref="SafetensorsWriter"/>: its name, element type and shape.</summary>
public sealed record SafetensorsEntry(string Name, DType DType, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (n, d) => checked(n * d));

    public long ByteLength => checked(ElementCount * DType.SizeOf());

    /// <summary>The dtype as safetensors spells it.</summary>
    public string SafetensorsDType => DType switch
    {
        DType.F32 => "F32",
        DType.F16 => "F16",
        DType.BF16 => "BF16",
        DType.I32 => "I32",
        _ => throw new ArgumentOutOfRangeException(nameof(DType), DType, null),
    };
}
