using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>Rows [<paramref name="firstRow"/>, +<paramref name="rows"/>) of a matrix weight, read lazily: one part of a fused projection.</summary>
public sealed class RowSliceWeight(IWeightSource source, int firstRow, int rows) : IWeightSource
{
    public TensorType Type { get; } = new(DType.F32, rows, source.Type[1].Size);

    public QuantFormat? CarriedFormat => source.CarriedFormat;

    public byte[] ReadCarried() => PackedRows.Gather(CarriedFormat!, Type[1].Size, [(source.ReadCarried(), source.Type[0].Size)],
        [.. Enumerable.Range(firstRow, rows).Select(row => (0, row))]);

    public bool ReadsRows => source.ReadsRows;

    public void ReadRows(int first, Span<float> destination) => source.ReadRows(firstRow + first, destination);

    public float[] ReadFloat32()
    {
        var columns = Type[1].Size;
        return source.ReadFloat32().AsSpan((int)((long)firstRow * columns), rows * columns).ToArray();
    }
}
