using Llmc.Compiler.Synth;
using Llmc.Ir;
using Llmc.Runtime;

namespace Llmc.Compiler.Weights;

/// <summary>
/// A weight stored in f16 or bf16 from an f32 source (round to nearest even). Its f32 values are the rounded ones, so
/// the reference interpreter computes with exactly what the kernels read.
/// </summary>
public sealed class HalfWeight : IWeightSource
{
    private readonly IWeightSource _source;
    private readonly Lazy<float[]> _rounded;

    public HalfWeight(IWeightSource source, DType half, string name)
    {
        if (half is not (DType.F16 or DType.BF16)) throw new ArgumentOutOfRangeException(nameof(half), half, "f16 or bf16");
        _source = source;
        Type = source.Type with { DType = half };
        _rounded = new(() => Round(_source.ReadFloat32(), half, name));
    }

    public TensorType Type { get; }

    public float[] ReadFloat32() => _rounded.Value;

    private static float[] Round(float[] values, DType half, string name)
    {
        var rounded = new float[values.Length];
        Span<byte> bytes = stackalloc byte[2];
        for (var i = 0; i < values.Length; i++)
        {
            WeightEncoding.Write(half, values[i], bytes);
            rounded[i] = half == DType.F16
                ? (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(bytes))
                : BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(bytes) << 16);
            // f16 tops out at 65504; a weight beyond it would silently become infinite.
            if (float.IsInfinity(rounded[i]) && !float.IsInfinity(values[i]))
                throw new LlmcException($"weight '{name}' holds {values[i]}, outside the range of {half.Name()}");
        }
        return rounded;
    }
}
