namespace Llmc.Benchmarks.Quantization;

/// <summary>
/// llama.cpp's Q8_0 rounding (ggml's reference row quantizer, which <c>llama-quantize</c> uses), the bar llmc's q8 is
/// held to: blocks of 32 values, d = max|x| / 127 in f32, each code the nearest integer to x · (1 / d) with halves
/// away from zero, and d stored as f16. llmc's q8 differs in one respect: it rounds d to f16 first and picks the codes
/// for the d it stores. A row whose length is not a multiple of 32 ends here with a shorter block (ggml cannot store
/// such a row; llmc's q8g32 groups a row the same way).
/// </summary>
public static class GgmlQ8_0Rounding
{
    public const int BlockSize = 32;

    /// <summary>The codes of one block (at most 32 values) in <paramref name="codes"/>, and its stored scale.</summary>
    public static Half RoundBlock(ReadOnlySpan<float> block, Span<sbyte> codes)
    {
        var max = 0f;
        foreach (var x in block) max = MathF.Max(max, MathF.Abs(x));
        var d = max / 127;
        var inverse = d != 0 ? 1 / d : 0;
        for (var i = 0; i < block.Length; i++) codes[i] = (sbyte)MathF.Round(block[i] * inverse, MidpointRounding.AwayFromZero);
        return (Half)d;
    }

    /// <summary>Replaces a row's values with those its Q8_0 blocks decode to: f16 d times each code.</summary>
    public static void RoundRow(Span<float> row)
    {
        Span<sbyte> codes = stackalloc sbyte[BlockSize];
        for (var start = 0; start < row.Length; start += BlockSize)
        {
            var block = row.Slice(start, Math.Min(BlockSize, row.Length - start));
            var d = (float)RoundBlock(block, codes);
            for (var i = 0; i < block.Length; i++) block[i] = d * codes[i];
        }
    }
}
