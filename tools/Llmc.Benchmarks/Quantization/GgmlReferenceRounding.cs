namespace Llmc.Benchmarks.Quantization;

/// <summary>A llama.cpp block type whose rounding <see cref="GgmlReferenceRounding"/> reproduces.</summary>
public enum GgmlReferenceType
{
    Q8_0,
    Q4_0,
}

/// <summary>
/// llama.cpp's Q8_0 and Q4_0 roundings (ggml's reference row quantizers, which <c>llama-quantize</c> uses), the bars
/// llmc's q8 and q4 are held to. Both take blocks of 32 values and store one f16 scale d per block, computed in f32:
/// Q8_0 has d = max|x| / 127 and codes round(x · (1/d)) with halves away from zero; Q4_0 has d = m / −8, m the value
/// of largest magnitude (the first of equals), so m takes code −8, the range's extra step below zero, and codes
/// ⌊x · (1/d) + 8.5⌋ − 8, at most 7. llmc differs in rounding d to f16 first and choosing the codes for the d it
/// stores (q8), or in searching for d (q4). A row whose length is not a multiple of 32 ends here with a shorter block
/// (ggml cannot store such a row; llmc's formats group a row the same way).
/// </summary>
public static class GgmlReferenceRounding
{
    public const int BlockSize = 32;

    /// <summary>The codes of one block (at most 32 values) in <paramref name="codes"/>, signed, and its stored scale.</summary>
    public static Half RoundBlock(GgmlReferenceType type, ReadOnlySpan<float> block, Span<sbyte> codes)
    {
        var extreme = 0f;
        foreach (var x in block) extreme = MathF.Abs(x) > MathF.Abs(extreme) ? x : extreme;
        var d = type == GgmlReferenceType.Q8_0 ? MathF.Abs(extreme) / 127 : extreme / -8;
        var inverse = d != 0 ? 1 / d : 0;
        for (var i = 0; i < block.Length; i++)
            codes[i] = type == GgmlReferenceType.Q8_0
                ? (sbyte)MathF.Round(block[i] * inverse, MidpointRounding.AwayFromZero)
                : (sbyte)(Math.Min(15, (int)(block[i] * inverse + 8.5f)) - 8);
        return (Half)d;
    }

    /// <summary>Replaces a row's values with those its blocks decode to: f16 d times each code.</summary>
    public static void RoundRow(GgmlReferenceType type, Span<float> row)
    {
        Span<sbyte> codes = stackalloc sbyte[BlockSize];
        for (var start = 0; start < row.Length; start += BlockSize)
        {
            var block = row.Slice(start, Math.Min(BlockSize, row.Length - start));
            var d = (float)RoundBlock(type, block, codes);
            for (var i = 0; i < block.Length; i++) block[i] = d * codes[i];
        }
    }
}
