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
    private readonly int _supersOffset;
    private readonly int _superOffsetsOffset;
    private readonly int _supers;

    public PackedMatrix(QuantFormat format, int n, int k)
    {
        (_format, _n) = (format, n);
        Groups = format.Groups(k);
        if (format.IsSuperBlocked)
        {
            _supers = format.Supers(k);
            _supersOffset = checked((int)format.SupersOffset(n, k));
            _superOffsetsOffset = checked((int)format.SuperOffsetsOffset(n, k));
        }
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
        if (_format.IsSuperBlocked)
            throw new InvalidOperationException($"{_format.Name} stores a group's scale as a factor of its super-block's: SetSuperBlock and SetGroupFactors");
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

    /// <summary>A super-blocked format's f16 scale and offset (ignored by the symmetric schemes) of a super-block of a row.</summary>
    public void SetSuperBlock(int row, int super, Half scale, Half offset)
    {
        // The kernels widen these without looking for infinities or NaNs (a corrupt file's).
        if (!Half.IsFinite(scale) || !Half.IsFinite(offset))
            throw new ArgumentException($"row {row}, super-block {super}: a super-block scale or offset of {scale}, {offset} is not a finite f16 value");
        var halves = MemoryMarshal.Cast<byte, Half>(Bytes.AsSpan());
        halves[_supersOffset / sizeof(ushort) + row * _supers + super] = scale;
        if (_format.HasOffsets) halves[_superOffsetsOffset / sizeof(ushort) + row * _supers + super] = offset;
    }

    /// <summary>A super-blocked format's 8-bit scale and offset factors (the latter ignored by the symmetric schemes) of a group.</summary>
    public void SetGroupFactors(int row, int group, sbyte scale, sbyte offset)
    {
        var index = row * Groups + group;
        Bytes[index] = (byte)scale;
        if (_format.HasOffsets) Bytes[_n * Groups + index] = (byte)offset;
    }

    public void SetCode(int row, int j, int code) =>
        _format.SetCode(Bytes.AsSpan(_codesOffset + row * _rowBytes, _rowBytes), j, code);

    /// <summary>Codes <paramref name="start"/> onwards of a row (<see cref="QuantFormat.SetCodes"/>).</summary>
    public void SetCodes(int row, int start, ReadOnlySpan<int> codes) =>
        _format.SetCodes(Bytes.AsSpan(_codesOffset + row * _rowBytes, _rowBytes), start, codes);
}
