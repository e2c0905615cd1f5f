using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Ir;

namespace Llmc.Compiler.Weights;

/// <summary>A weight stored in a safetensors file, converted to f32 when read.</summary>
public sealed class SafetensorsWeight(SafetensorsTensor tensor) : IWeightSource
{
    public TensorType Type { get; } = new(tensor.DType, tensor.Shape.Select(d => new Dim(checked((int)d))).ToArray());

    public float[] ReadFloat32() => tensor.ToFloat32();
}
