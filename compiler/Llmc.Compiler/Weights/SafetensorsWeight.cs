using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Ir;

namespace Llmc.Compiler.Weights;

/// <summary>
/// A weight stored in a safetensors file, converted to f32 when read: the graph declares every imported weight f32, so
/// that is what an engine stores unless a pass picks another type.
/// </summary>
public sealed class SafetensorsWeight(SafetensorsTensor tensor) : IWeightSource
{
    public TensorType Type { get; } = new(DType.F32, tensor.Shape.Select(d => new Dim(checked((int)d))).ToArray());

    public float[] ReadFloat32() => tensor.ToFloat32();

    public bool ReadsRows => Type.Rank == 2;

    public void ReadRows(int first, Span<float> destination) => tensor.CopyToFloat32((long)first * Type[1].Size, destination);
}
