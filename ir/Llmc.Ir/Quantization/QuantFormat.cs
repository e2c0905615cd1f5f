namespace Llmc.Ir.Quantization;

/// <summary>
/// A quantized weight format: a scheme and a group size along the input dimension K, and the packed layout of an
/// [N, K] matrix (docs/quantization.md). With G = ceil(K / GroupSize) groups per row, the tensor is
/// <list type="number">
/// <item>scales: N·G f32, row-major (row n's groups are contiguous);</item>
/// <item>offsets (Q4A only): N·G f32, the same way;</item>
/// <item>zero bytes up to a 64-byte boundary;</item>
/// <item>codes: N rows of G·GroupSize codes each; the last group of a row is padded with the code of 0.0 past K.
/// Q8 codes are bytes; Q4 codes are nibbles packed per 32-code block into 16 bytes: byte i holds code i in its low
/// nibble and code i + 16 in its high nibble.</item>
/// </list>
/// </summary>
public sealed record QuantFormat(QuantScheme Scheme, int GroupSize)
{
    public static IReadOnlyList<int> GroupSizes { get; } = [32, 64, 128];

    /// <summary>Codes per nibble-packed block: 16 bytes of Q4 codes.</summary>
    public const int NibbleBlock = 32;

    public static QuantFormat Of(DType dtype)
    {
        if (!dtype.IsQuantized()) throw new IrException($"{dtype.Name()} is not a quantized dtype");
        var index = dtype - DType.Q8G32;
        return new QuantFormat((QuantScheme)(index / GroupSizes.Count), GroupSizes[index % GroupSizes.Count]);
    }

    public DType DType
    {
        get
        {
            var group = GroupSizes.ToList().IndexOf(GroupSize);
            if (group < 0) throw new IrException($"group size {GroupSize} is not one of {string.Join(", ", GroupSizes)}");
            return DType.Q8G32 + (int)Scheme * GroupSizes.Count + group;
        }
    }

    /// <summary>The dtype name, e.g. <c>q4g32</c> or <c>q4ag64</c>.</summary>
    public string Name => $"{Scheme.ToString().ToLowerInvariant()}g{GroupSize}";

    public int Bits => Scheme == QuantScheme.Q8 ? 8 : 4;

    public bool HasOffsets => Scheme == QuantScheme.Q4A;

    /// <summary>The largest code.</summary>
    public int MaxCode => (1 << Bits) - 1;

    /// <summary>The code of 0.0 in the symmetric schemes (their implicit offset is −scale·ZeroCode).</summary>
    public int ZeroCode => 1 << (Bits - 1);

    public int Groups(int k) => (k + GroupSize - 1) / GroupSize;

    /// <summary>Bytes of codes per row, padding included.</summary>
    public int CodeRowBytes(int k) => Groups(k) * GroupSize * Bits / 8;

    /// <summary>Where the codes start: after the scale (and offset) planes, 64-byte aligned.</summary>
    public long CodesOffset(int n, int k) => ((long)n * Groups(k) * sizeof(float) * (HasOffsets ? 2 : 1) + 63) / 64 * 64;

    /// <summary>Where the offset plane starts (Q4A).</summary>
    public long OffsetsOffset(int n, int k) => (long)n * Groups(k) * sizeof(float);

    public long PackedBytes(int n, int k) => CodesOffset(n, k) + (long)n * CodeRowBytes(k);

    /// <summary>Code <paramref name="j"/> of a row whose codes are <paramref name="row"/>.</summary>
    public int Code(ReadOnlySpan<byte> row, int j)
    {
        if (Bits == 8) return row[j];
        var b = row[j / NibbleBlock * (NibbleBlock / 2) + j % (NibbleBlock / 2)];
        return j % NibbleBlock < NibbleBlock / 2 ? b & 0xF : b >> 4;
    }

    /// <summary>Stores code <paramref name="j"/> into a row of codes (the other nibble of its byte is kept).</summary>
    public void SetCode(Span<byte> row, int j, int code)
    {
        if (Bits == 8)
        {
            row[j] = (byte)code;
            return;
        }
        ref var b = ref row[j / NibbleBlock * (NibbleBlock / 2) + j % (NibbleBlock / 2)];
        b = j % NibbleBlock < NibbleBlock / 2 ? (byte)((b & 0xF0) | code) : (byte)((b & 0x0F) | (code << 4));
    }

    /// <summary>The scale, offset and codes of an [n, k] packed tensor.</summary>
    public QuantView View(ReadOnlySpan<byte> packed, int n, int k) => new(this, packed, n, k);

    /// <summary>Every value of an [n, k] packed tensor, row-major: scale · code + offset.</summary>
    public float[] Dequantize(ReadOnlySpan<byte> packed, int n, int k)
    {
        var view = View(packed, n, k);
        var values = new float[(long)n * k];
        for (var row = 0; row < n; row++)
            for (var j = 0; j < k; j++) values[(long)row * k + j] = view.Value(row, j);
        return values;
    }
}
