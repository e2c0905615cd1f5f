using Llmc.Ir;

namespace Llmc.Compiler.Weights;

/// <summary>The bytes behind one weight value of a graph, read lazily when the engine is written.</summary>
public interface IWeightSource
{
    TensorType Type { get; }

    /// <summary>The tensor as f32 values, row-major.</summary>
    float[] ReadFloat32();
}
