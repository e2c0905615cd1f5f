using System.Runtime.CompilerServices;
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
            for (var j = k; j < format.RowCodes(k); j++) SetCode(row, j, padding);
    }

    public int Groups { get; }

    public byte[] Bytes { get; }

    /// <summary>
    /// Stores a group's scale and offset (ignored by the symmetric schemes). Both must already be values of the
    /// format's scale type (<see cref="QuantFormat.StoredScale"/>): the codes were chosen for them, so a rounding here
    /// would leave codes and scale disagreeing.
    /// </summary>
    public void SetGroup(int row, int group, float scale, float offset)
    {
        var index = row * Groups + group;
        Store(index, scale);
        if (_format.HasOffsets) Store(_n * Groups + index, offset);
    }

    // Compiled optimized at once, as the quantizers are (GroupQuantizer.PackRow says why): it runs for every group.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Store(int index, float value)
    {
        if (_format.ScaleBytes == sizeof(float))
        {
            MemoryMarshal.Cast<byte, float>(Bytes.AsSpan())[index] = value;
            return;
        }
        var half = (Half)value;
        if (!((float)half).Equals(value))
            throw new ArgumentException($"{value} is not an f16 scale of {_format.Name}; round it with StoredScale first", nameof(value));
        MemoryMarshal.Cast<byte, Half>(Bytes.AsSpan())[index] = half;
    }

    public void SetCode(int row, int j, int code) =>
        _format.SetCode(Bytes.AsSpan(_codesOffset + row * _rowBytes, _rowBytes), j, code);

    /// <summary>Codes <paramref name="start"/> onwards of a row (<see cref="QuantFormat.SetCodes"/>).</summary>
    public void SetCodes(int row, int start, ReadOnlySpan<int> codes) =>
        _format.SetCodes(Bytes.AsSpan(_codesOffset + row * _rowBytes, _rowBytes), start, codes);
}
