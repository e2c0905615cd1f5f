using System.Runtime.InteropServices;

namespace Llmc.Ir.Quantization;

/// <summary>Reads a packed [N, K] tensor of a <see cref="QuantFormat"/>: per-group scale and offset, and codes.</summary>
public readonly ref struct QuantView
{
    private readonly ReadOnlySpan<byte> _scales;
    private readonly ReadOnlySpan<byte> _offsets;
    private readonly ReadOnlySpan<byte> _codes;
    private readonly ReadOnlySpan<Half> _superScales;
    private readonly ReadOnlySpan<Half> _superOffsets;
    private readonly int _groups;
    private readonly int _supers;
    private readonly int _rowBytes;

    public QuantView(QuantFormat format, ReadOnlySpan<byte> packed, int n, int k)
    {
        if (packed.Length != format.PackedBytes(n, k))
            throw new IrException($"a {format.Name}[{n}, {k}] tensor is {format.PackedBytes(n, k)} bytes, got {packed.Length}");
        Format = format;
        _groups = format.Groups(k);
        _rowBytes = format.CodeRowBytes(k);
        var planeBytes = (int)format.OffsetsOffset(n, k);
        _scales = packed[..planeBytes];
        _offsets = format.HasOffsets ? packed.Slice(planeBytes, planeBytes) : default;
        _codes = packed[(int)format.CodesOffset(n, k)..];
        if (format.IsSuperBlocked)
        {
            _supers = format.Supers(k);
            var superBytes = n * _supers * sizeof(ushort);
            _superScales = MemoryMarshal.Cast<byte, Half>(packed.Slice((int)format.SupersOffset(n, k), superBytes));
            if (format.HasOffsets) _superOffsets = MemoryMarshal.Cast<byte, Half>(packed.Slice((int)format.SuperOffsetsOffset(n, k), superBytes));
        }
    }

    public QuantFormat Format { get; }

    /// <summary>
    /// A group's scale as f32: stored whole, or (super-blocked formats) its super-block's scale times its factor, an
    /// f16 times an 8-bit integer and so exact in f32.
    /// </summary>
    public float Scale(int row, int group) => Read(_scales, _superScales, row, group);

    /// <summary>The value of code 0: the stored offset (Q4A, Q8A), or −scale·ZeroCode.</summary>
    public float Offset(int row, int group) =>
        Format.HasOffsets ? Read(_offsets, _superOffsets, row, group) : -Scale(row, group) * Format.ZeroCode;

    /// <summary>A super-blocked format's 8-bit scale factor of a group.</summary>
    public sbyte ScaleFactor(int row, int group) => (sbyte)_scales[row * _groups + group];

    /// <summary>A super-blocked format's 8-bit offset factor of a group (Q4A, Q8A).</summary>
    public sbyte OffsetFactor(int row, int group) => (sbyte)_offsets[row * _groups + group];

    /// <summary>A super-blocked format's f16 scale of super-block <paramref name="super"/> of a row.</summary>
    public Half SuperScale(int row, int super) => _superScales[row * _supers + super];

    /// <summary>A super-blocked format's f16 offset of super-block <paramref name="super"/> of a row (Q4A, Q8A).</summary>
    public Half SuperOffset(int row, int super) => _superOffsets[row * _supers + super];

    /// <summary>A group's entry of a scale or offset plane, widened exactly to f32 (times its super-block's value).</summary>
    private float Read(ReadOnlySpan<byte> plane, ReadOnlySpan<Half> supers, int row, int group)
    {
        var index = row * _groups + group;
        if (Format.IsSuperBlocked) return (float)supers[row * _supers + group / Format.GroupsPerSuper] * (sbyte)plane[index];
        return Format.ScaleBytes == sizeof(float)
            ? MemoryMarshal.Cast<byte, float>(plane)[index]
            : (float)MemoryMarshal.Cast<byte, Half>(plane)[index];
    }

    public int Code(int row, int j) => Format.Code(_codes.Slice(row * _rowBytes, _rowBytes), j);

    /// <summary>
    /// The dequantized weight, in one rounding: scale · (code − zero code) for the symmetric schemes, fma(scale, code,
    /// offset) for the asymmetric ones, so a value whose scale and signed code fit f32's 24 bits (every GGUF type's)
    /// is exact, and a kernel that dequantizes (a quantized embedding table) gets the same bits on every target.
    /// </summary>
    public float Value(int row, int j)
    {
        var group = j / Format.GroupSize;
        return Format.HasOffsets
            ? MathF.FusedMultiplyAdd(Scale(row, group), Code(row, j), Offset(row, group))
            : Scale(row, group) * (Code(row, j) - Format.ZeroCode);
    }
}
