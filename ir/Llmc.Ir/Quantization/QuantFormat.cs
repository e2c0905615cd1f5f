using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
namespace Llmc.Ir.Quantization;

/// <summary>
/// A quantized weight format: a scheme and a group size along the input dimension K, and the packed layout of an
/// [N, K] matrix (docs/quantization.md). With G = ceil(K / GroupSize) groups per row, the tensor is
/// <list type="number">
/// <item>scales: N·G of <see cref="ScaleType"/> (f16, or f32 in the formats that carry a GGUF k-quant's products
/// d·sc exactly), row-major (row n's groups are contiguous); in the super-blocked formats (<see cref="SuperBlock"/>)
/// N·G signed 8-bit factors instead;</item>
/// <item>offsets (Q4A and Q8A only): N·G of the same type, the same way;</item>
/// <item>super-blocked formats only, from the next 4-byte boundary: N·S f16 super-block scales (S = ceil(G / groups
/// per super-block), row-major), then (Q4A, Q8A) N·S f16 super-block offsets; a group's scale is its super-block's
/// scale times its factor, its offset its super-block's offset times its offset factor;</item>
/// <item>zero bytes up to a 64-byte boundary;</item>
/// <item>codes: N rows of G·GroupSize codes each; the last group of a row is padded with the code of 0.0 past K.
/// Q8 and Q8A codes are bytes; Q4 and Q4A codes are nibbles packed per 32-code block into 16 bytes: byte i holds code i in its low
/// nibble and code i + 16 in its high nibble. Q6 rows are padded to whole 64 codes; their low 4 bits are packed as Q4's
/// (the nibble plane), and their high 2 bits follow in a plane half as long, 16 bytes per 32 nibble bytes: high byte
/// p of such a unit holds, from bit 0 up, the high bits of nibble byte p's low and high code, then of nibble byte p + 16's.</item>
/// </list>
/// </summary>
/// <param name="SuperBlock">
/// Values per super-block whose f16 scale (and offset) multiplies its groups' 8-bit factors, as GGUF's k-quants store
/// theirs (d·sc with 6- or 8-bit sc): their products are exact in f32 and take a byte per group plus 2 bytes per 256
/// values, where f32 scales take 4 a group; 0 for formats that store each group's scale whole.
/// </param>
public sealed record QuantFormat(QuantScheme Scheme, int GroupSize, DType ScaleType = DType.F16, int SuperBlock = 0)
{
    /// <summary>The group sizes of every scheme (<c>--group-size</c>).</summary>
    public static IReadOnlyList<int> GroupSizes { get; } = [32, 64, 128];

    /// <summary>
    /// Every format, in <see cref="DType"/> order from <see cref="DType.Q8G32"/>: q8, q4 and q4a in each group size with
    /// f16 scales (what <c>--quant</c> builds and GGUF's Q8_0, Q4_0 and Q4_1 hold, as those files do), then the formats
    /// that hold scales d·sc (an f16 times a 6- or 8-bit integer) exactly: q8a in each group size with f32 scales, then
    /// the super-blocked formats that carry GGUF k-quants: q8g16k (Q6_K's 16-value sub-blocks), q4ag32k (Q4_K) and
    /// q8ag32k (Q5_K); then q6 in each group size.
    /// </summary>
    private static readonly QuantFormat[] All =
    [
        .. new[] { QuantScheme.Q8, QuantScheme.Q4, QuantScheme.Q4A }.SelectMany(s => GroupSizes.Select(g => new QuantFormat(s, g))),
        .. GroupSizes.Select(g => new QuantFormat(QuantScheme.Q8A, g, DType.F32)),
        new QuantFormat(QuantScheme.Q8, 16, SuperBlock: KQuantSuperBlock),
        new QuantFormat(QuantScheme.Q4A, 32, SuperBlock: KQuantSuperBlock),
        new QuantFormat(QuantScheme.Q8A, 32, SuperBlock: KQuantSuperBlock),
        .. GroupSizes.Select(g => new QuantFormat(QuantScheme.Q6, g)),
    ];

    /// <summary>Values per super-block of GGUF's k-quants, and of the formats that carry them.</summary>
    public const int KQuantSuperBlock = 256;

    /// <summary>Codes per nibble-packed block: 16 bytes of Q4 codes.</summary>
    public const int NibbleBlock = 32;

    /// <summary>Nibble bytes per unit of Q6's high-bit plane, which holds 16 bytes for them.</summary>
    public const int HighBitsUnit = 32;

    public static QuantFormat Of(DType dtype)
    {
        if (!dtype.IsQuantized()) throw new IrException($"{dtype.Name()} is not a quantized dtype");
        return All[dtype - DType.Q8G32];
    }

    public DType DType
    {
        get
        {
            var index = Array.IndexOf(All, this);
            if (index < 0) throw new IrException($"{Name} is not an llmc format ({string.Join(", ", All.Select(f => f.Name))})");
            return DType.Q8G32 + index;
        }
    }

    /// <summary>
    /// The dtype name, e.g. <c>q4g32</c> or <c>q4ag64</c>; f32 scales add <c>s32</c> (<c>q8ag32s32</c>), super-blocks
    /// <c>k</c> (<c>q4ag32k</c>).
    /// </summary>
    public string Name => $"{Scheme.ToString().ToLowerInvariant()}g{GroupSize}{(ScaleType == DType.F32 ? "s32" : "")}{(IsSuperBlocked ? "k" : "")}";

    /// <summary>Whether group scales are 8-bit factors of super-block scales (<see cref="SuperBlock"/>).</summary>
    public bool IsSuperBlocked => SuperBlock > 0;

    /// <summary>Groups per super-block (super-blocked formats).</summary>
    public int GroupsPerSuper => SuperBlock / GroupSize;

    /// <summary>Super-blocks per row of <paramref name="k"/> values (super-blocked formats; the last may be partial).</summary>
    public int Supers(int k) => (Groups(k) + GroupsPerSuper - 1) / GroupsPerSuper;

    /// <summary>Bytes of one group's scale (or offset) entry: 2 for f16, 4 for f32, 1 for a super-blocked format's factor.</summary>
    public int ScaleBytes => IsSuperBlocked ? 1 : ScaleType.SizeOf();

    // These few are inlined by request: a build's quantizers read them for every group, and a switch is over the
    // JIT's own inlining budget (perf found Bits alone taking a tenth of a 1B build).
    public int Bits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Scheme switch
        {
            QuantScheme.Q8 or QuantScheme.Q8A => 8,
            QuantScheme.Q6 => 6,
            _ => 4,
        };
    }

    /// <summary>Whether the codes (or, for Q6, their low 4 bits) are nibbles packed per <see cref="NibbleBlock"/>.</summary>
    public bool HasNibbles => Bits != 8;

    /// <summary>
    /// Bits a code takes in the plane kernels walk in chunks: the nibble (4-bit codes, Q6's low 4 bits, whose high bits
    /// are a plane of their own) or the whole byte.
    /// </summary>
    public int ChunkedBits => HasNibbles ? 4 : 8;

    public bool HasOffsets
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Scheme is QuantScheme.Q4A or QuantScheme.Q8A;
    }

    /// <summary>The largest code.</summary>
    public int MaxCode
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (1 << Bits) - 1;
    }

    /// <summary>The code of 0.0 in the symmetric schemes (their implicit offset is −scale·ZeroCode).</summary>
    public int ZeroCode
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 1 << (Bits - 1);
    }

    public int Groups(int k) => (k + GroupSize - 1) / GroupSize;

    /// <summary>Codes per row, padding included: whole groups, and for Q6 whole units of its high-bit plane.</summary>
    public int RowCodes(int k)
    {
        var codes = Groups(k) * GroupSize;
        return Bits == 6 ? (codes + 2 * HighBitsUnit - 1) / (2 * HighBitsUnit) * (2 * HighBitsUnit) : codes;
    }

    /// <summary>Bytes of codes per row, padding included.</summary>
    public int CodeRowBytes(int k) => RowCodes(k) * Bits / 8;

    /// <summary>Bytes of a row's nibble plane (4-bit codes, or Q6's low 4 bits); Q6's high-bit plane follows it.</summary>
    public int NibbleRowBytes(int k) => RowCodes(k) / 2;

    /// <summary>Where the codes start: after the scale (and offset) planes and any super-block planes, 64-byte aligned.</summary>
    public long CodesOffset(int n, int k)
    {
        var planes = HasOffsets ? 2 : 1;
        var end = IsSuperBlocked ? SupersOffset(n, k) + (long)n * Supers(k) * sizeof(ushort) * planes : (long)n * Groups(k) * ScaleBytes * planes;
        return (end + 63) / 64 * 64;
    }

    /// <summary>Where the offset plane starts (Q4A, Q8A).</summary>
    public long OffsetsOffset(int n, int k) => (long)n * Groups(k) * ScaleBytes;

    /// <summary>Where a super-blocked format's f16 super-block scales start: after the factor planes, 4-byte aligned.</summary>
    public long SupersOffset(int n, int k) => ((long)n * Groups(k) * (HasOffsets ? 2 : 1) + 3) / 4 * 4;

    /// <summary>Where a super-blocked format's f16 super-block offsets start (Q4A, Q8A): after its super-block scales.</summary>
    public long SuperOffsetsOffset(int n, int k) => SupersOffset(n, k) + (long)n * Supers(k) * sizeof(ushort);

    /// <summary>
    /// <paramref name="value"/> as a scale or offset of this format: itself for f32 scales, else rounded to f16 (to
    /// nearest even). A finite value beyond f16's range (65504) has no f16 scale and is refused.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float StoredScale(float value)
    {
        if (ScaleType == DType.F32) return value;
        // Within f16's normal range the rounding drops 13 of f32's 23 fraction bits to nearest even (a carry moves into
        // the exponent, as it should): what the Half conversion gives, in a few integer operations rather than its
        // general path (a 4-bit search rounds 25 candidate scales a group).
        if (MathF.Abs(value) is >= SmallestNormalHalf and < LargestHalf)
        {
            var bits = BitConverter.SingleToInt32Bits(value);
            return BitConverter.Int32BitsToSingle((bits + 0xFFF + ((bits >> 13) & 1)) & ~0x1FFF);
        }
        return StoredHalf(value);
    }

    /// <summary>
    /// Eight values as <see cref="StoredScale"/> rounds each: the same integer rounding on all lanes at once when all
    /// are within f16's normal range (a 4-bit search's fitted scales nearly always are), else lane by lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> StoredScales(Vector256<float> values)
    {
        if (ScaleType == DType.F32) return values;
        var magnitude = Vector256.Abs(values);
        if (Vector256.GreaterThanOrEqualAll(magnitude, Vector256.Create(SmallestNormalHalf)) && Vector256.LessThanAll(magnitude, Vector256.Create(LargestHalf)))
        {
            var bits = values.AsInt32();
            return ((bits + Vector256.Create(0xFFF) + ((bits >> 13) & Vector256<int>.One)) & Vector256.Create(~0x1FFF)).AsSingle();
        }
        return StoredScalesOneByOne(values);
    }

    /// <summary>The lanes one at a time: apart, so that the vector path above (no stackalloc) inlines into a search.</summary>
    private Vector256<float> StoredScalesOneByOne(Vector256<float> values)
    {
        Span<float> lanes = stackalloc float[Vector256<float>.Count];
        for (var c = 0; c < lanes.Length; c++) lanes[c] = StoredScale(values[c]);
        return Vector256.Create<float>(lanes);
    }

    private float StoredHalf(float value)
    {
        var rounded = (float)(Half)value;
        if (float.IsInfinity(rounded) && float.IsFinite(value))
            throw new IrException($"{Name}: a group scale or offset of {value} is outside the range of its f16 scales");
        return rounded;
    }

    /// <summary>2⁻¹⁴, f16's smallest normal value.</summary>
    private const float SmallestNormalHalf = 6.103515625e-05f;

    /// <summary>f16's largest finite value.</summary>
    private const float LargestHalf = 65504f;

    public long PackedBytes(int n, int k) => CodesOffset(n, k) + (long)n * CodeRowBytes(k);

    /// <summary>Code <paramref name="j"/> of a row whose codes are <paramref name="row"/>.</summary>
    public int Code(ReadOnlySpan<byte> row, int j)
    {
        if (Bits == 8) return row[j];
        var (at, shift) = NibbleAt(j);
        var nibble = (row[at] >> shift) & 0xF;
        if (Bits == 4) return nibble;
        var (high, highShift) = HighBitsAt(row.Length * 2 / 3, at, shift);
        return nibble | (((row[high] >> highShift) & 3) << 4);
    }

    /// <summary>Stores code <paramref name="j"/> into a row of codes (the other codes sharing its bytes are kept).</summary>
    public void SetCode(Span<byte> row, int j, int code)
    {
        if (Bits == 8)
        {
            row[j] = (byte)code;
            return;
        }
        var (at, shift) = NibbleAt(j);
        row[at] = (byte)((row[at] & ~(0xF << shift)) | ((code & 0xF) << shift));
        if (Bits == 4) return;
        var (high, highShift) = HighBitsAt(row.Length * 2 / 3, at, shift);
        row[high] = (byte)((row[high] & ~(3 << highShift)) | ((code >> 4) << highShift));
    }

    /// <summary>
    /// Stores codes <paramref name="start"/> onwards into a row of codes, as <see cref="SetCode"/> does one by one: bytes
    /// as they are, and whole nibble blocks from a block boundary (every group of a build starts at one) a byte at a time.
    /// </summary>
    public void SetCodes(Span<byte> row, int start, ReadOnlySpan<int> codes)
    {
        if (Bits == 8)
        {
            for (var j = 0; j < codes.Length; j++) row[start + j] = (byte)codes[j];
            return;
        }
        var done = 0;
        if (HasNibbles && start % NibbleBlock == 0)
            for (; done + NibbleBlock <= codes.Length; done += NibbleBlock) SetNibbleBlock(row, start + done, codes.Slice(done, NibbleBlock));
        for (; done < codes.Length; done++) SetCode(row, start + done, codes[done]);
    }

    /// <summary>The 32 codes of the nibble block starting at code <paramref name="start"/>, with Q6's high bits.</summary>
    private void SetNibbleBlock(Span<byte> row, int start, ReadOnlySpan<int> codes)
    {
        const int half = NibbleBlock / 2;
        var at = start / 2;
        for (var i = 0; i < half; i++) row[at + i] = (byte)((codes[i] & 0xF) | ((codes[i + half] & 0xF) << 4));
        if (Bits == 4) return;
        // The block's 16 nibble bytes share one half (bits 0-3 or 4-7) of 16 consecutive high bytes.
        var (high, shift) = HighBitsAt(row.Length * 2 / 3, at, 0);
        for (var i = 0; i < half; i++)
        {
            var bits = (codes[i] >> 4) | ((codes[i + half] >> 4) << 2);
            row[high + i] = (byte)((row[high + i] & ~(0xF << shift)) | (bits << shift));
        }
    }

    /// <summary>The byte of code <paramref name="j"/>'s nibble (byte j % 16 of its 32-code block) and the shift to it.</summary>
    private static (int At, int Shift) NibbleAt(int j) =>
        (j / NibbleBlock * (NibbleBlock / 2) + j % (NibbleBlock / 2), j % NibbleBlock < NibbleBlock / 2 ? 0 : 4);

    /// <summary>
    /// Where the high 2 bits of Q6's code in nibble byte <paramref name="at"/> (at <paramref name="shift"/>) lie, in a
    /// row whose nibble plane is <paramref name="nibbleBytes"/> long: 16 high bytes per 32 nibble bytes, high byte p of
    /// a unit holding 4 bits for nibble byte p and 4 for nibble byte p + 16, low code first.
    /// </summary>
    private static (int At, int Shift) HighBitsAt(int nibbleBytes, int at, int shift)
    {
        var p = at % HighBitsUnit;
        return (nibbleBytes + at / HighBitsUnit * (HighBitsUnit / 2) + p % (HighBitsUnit / 2), (p < HighBitsUnit / 2 ? 0 : 4) + shift / 2);
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
