using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Runtime;

namespace Llmc.Compiler.Weights;

/// <summary>
/// A weight packed into a quantized format from an f32 source, packed once on first read: with GPTQ's error feedback
/// when the Gram matrix of its inputs is known (<see cref="SelfCalibration"/>), else by the per-group search alone.
/// </summary>
public sealed class QuantizedWeight(IWeightSource source, QuantFormat format, string name, double[,]? inputGram = null) : IWeightSource
{
    private readonly Lazy<byte[]> _packed = new(() =>
    {
        int n = source.Type[0].Size, k = source.Type[1].Size;
        try
        {
            if (inputGram is not null) return GptqQuantizer.Pack(source.ReadFloat32(), n, k, format, inputGram);
            return source.ReadsRows ? GroupQuantizer.Pack(source.ReadRows, n, k, format) : GroupQuantizer.Pack(source.ReadFloat32(), n, k, format);
        }
        catch (AggregateException e) when (e.InnerException is IrException outOfRange)
        {
            // The rows are packed in parallel; a scale beyond the format's range is reported for the weight it is in.
            throw new LlmcException($"weight '{name}': {outOfRange.Message}");
        }
    });

    public TensorType Type { get; } = source.Type with { DType = format.DType };

    /// <summary>The dequantized values: what the engine's weights mean.</summary>
    public float[] ReadFloat32() => format.Dequantize(_packed.Value, Type[0].Size, Type[1].Size);

    public byte[] ReadStored() => _packed.Value;
}
