using System.Runtime.InteropServices;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>An [N, K] tensor being written in a <see cref="QuantFormat"/>'s packed layout (docs/quantization.md).</summary>
public sealed class PackedMatrix
{
    private readonly QuantFormat _format;
    private readonly int _n;
    private readonly int _rowBytes;
    private readonly int _codesOffset;

    public PackedMatrix(QuantFormat format, int n, int k)
    {
        (_format, _n) = (format, n);
        Groups = format.Groups(k);
        _rowBytes = format.CodeRowBytes(k);
        _codesOffset = checked((int)format.CodesOffset(n, k));
        Bytes = new byte[format.PackedBytes(n, k)];
        // Padding past K holds the code of 0.0: the zero code, or 0 for q4a (its offset need not be 0, but its padded
        // activations are).
        var padding = format.HasOffsets ? 0 : format.ZeroCode;
        for (var row = 0; row < n; row++)
            for (var j = k; j < Groups * format.GroupSize; j++) SetCode(row, j, padding);
    }

    public int Groups { get; }

    public byte[] Bytes { get; }

    public void SetGroup(int row, int group, float scale, float offset)
    {
        var planeFloats = _n * Groups;
        var planes = MemoryMarshal.Cast<byte, float>(Bytes.AsSpan(0, planeFloats * sizeof(float) * (_format.HasOffsets ? 2 : 1)));
        planes[row * Groups + group] = scale;
        if (_format.HasOffsets) planes[planeFloats + row * Groups + group] = offset;
    }

    public void SetCode(int row, int j, int code) =>
        _format.SetCode(Bytes.AsSpan(_codesOffset + row * _rowBytes, _rowBytes), j, code);
}
