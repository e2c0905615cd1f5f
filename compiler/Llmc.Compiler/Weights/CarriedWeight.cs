using Llmc.Ir;

namespace Llmc.Compiler.Weights;

/// <summary>A weight stored in the quantized format its source already holds it in (<see cref="IWeightSource.CarriedFormat"/>): its codes as they are.</summary>
public sealed class CarriedWeight(IWeightSource source) : IWeightSource
{
    public TensorType Type { get; } = source.Type with { DType = source.CarriedFormat!.DType };

    public float[] ReadFloat32() => source.ReadFloat32();

    public byte[] ReadStored() => source.ReadCarried();
}
