using System.Runtime.InteropServices;
using Llmc.Compiler.Synth;
using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>The bytes behind one weight value of a graph, read lazily when the engine is written.</summary>
public interface IWeightSource
{
    TensorType Type { get; }

    /// <summary>The tensor as f32 values, row-major.</summary>
    float[] ReadFloat32();

    /// <summary>
    /// Whether <see cref="ReadRows"/> reads a block of rows without reading the whole tensor: then a quantizer streams
    /// the matrix through a small buffer instead of holding all of it as f32 (a 1B model's embedding alone is 1 GB).
    /// </summary>
    bool ReadsRows => false;

    /// <summary>Rows <paramref name="first"/> onwards as f32, row-major, filling <paramref name="destination"/> (whole rows).</summary>
    void ReadRows(int first, Span<float> destination) => throw new NotSupportedException($"{GetType().Name} reads whole tensors only");

    /// <summary>
    /// The llmc quantized format a source already holds its values in exactly (a GGUF Q8_0 matrix: q8g32), if any: a
    /// build without <c>--quant</c> carries such a weight over (<see cref="ReadCarried"/>) instead of rounding it again.
    /// </summary>
    QuantFormat? CarriedFormat => null;

    /// <summary>The packed bytes in <see cref="CarriedFormat"/>.</summary>
    byte[] ReadCarried() => throw new NotSupportedException($"{GetType().Name} holds no quantized values");

    /// <summary>The bytes the engine stores for this weight, in its <see cref="Type"/>'s dtype and layout.</summary>
    byte[] ReadStored()
    {
        var values = ReadFloat32();
        if (Type.DType == DType.F32) return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var size = Type.DType.SizeOf();
        var bytes = new byte[values.Length * size];
        for (var i = 0; i < values.Length; i++) WeightEncoding.Write(Type.DType, values[i], bytes.AsSpan(i * size, size));
        return bytes;
    }
}
