using Llmc.Ir;

namespace Llmc.Compiler.Weights;

/// <summary>A constant the compiler derives itself (e.g. RoPE inverse frequencies).</summary>
public sealed class ComputedWeight(float[] values) : IWeightSource
{
    public TensorType Type { get; } = new(DType.F32, values.Length);

    public float[] ReadFloat32() => values;
}
