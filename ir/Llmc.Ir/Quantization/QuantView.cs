using System.Runtime.InteropServices;

namespace Llmc.Ir.Quantization;

/// <summary>Reads a packed [N, K] tensor of a <see cref="QuantFormat"/>: per-group scale and offset, and codes.</summary>
public readonly ref struct QuantView
{
    private readonly ReadOnlySpan<byte> _scales;
    private readonly ReadOnlySpan<byte> _offsets;
    private readonly ReadOnlySpan<byte> _codes;
    private readonly int _groups;
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
    }

    public QuantFormat Format { get; }

    public float Scale(int row, int group) => Read(_scales, row * _groups + group);

    /// <summary>The value of code 0: the stored offset (Q4A, Q8A), or −scale·ZeroCode.</summary>
    public float Offset(int row, int group) =>
        Format.HasOffsets ? Read(_offsets, row * _groups + group) : -Scale(row, group) * Format.ZeroCode;

    /// <summary>Element <paramref name="index"/> of a scale or offset plane, widened exactly to f32.</summary>
    private float Read(ReadOnlySpan<byte> plane, int index) => Format.ScaleBytes == sizeof(float)
        ? MemoryMarshal.Cast<byte, float>(plane)[index]
        : (float)MemoryMarshal.Cast<byte, Half>(plane)[index];

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
