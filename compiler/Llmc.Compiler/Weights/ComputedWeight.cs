using Llmc.Ir;

namespace Llmc.Compiler.Weights;

/// <summary>A constant the compiler derives itself (e.g. RoPE inverse frequencies): a vector, or f32 of the given type.</summary>
public sealed class ComputedWeight(float[] values, TensorType? type = null) : IWeightSource
{
    public TensorType Type { get; } = type ?? new(DType.F32, values.Length);

    public float[] ReadFloat32() => values;
}
