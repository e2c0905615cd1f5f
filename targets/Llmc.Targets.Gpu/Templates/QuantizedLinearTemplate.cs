using Llmc.Ir.Quantization;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The linear family (<see cref="LinearFusion"/>) with w in a <see cref="QuantFormat"/> (docs/quantization.md). The
/// workgroup rounds its activation rows (normalized, with the RMSNorm prologue) to int8 per weight group into shared
/// memory, term for term as <see cref="ActivationQuantization"/> does (correctly rounded divisions, ties to even), four
/// codes per word: whole rows up front or a chunk at a time (<see cref="ActivationStaging"/>). Then, as in
/// <see cref="MatVecLayout"/>, each run of lanes strides its weight rows' code words: a q8 word is four codes, a q4 word
/// eight nibbles (low nibbles are codes i..i+3 of a 32-code block, high nibbles codes i+16..i+19; q6 joins each
/// nibble's two high bits from its high-bit plane), each an exact integer dot product with the matching activation
/// codes, scaled in f32 by weight scale × activation scale; the group offsets (explicit for q4a, −scale·zero code
/// otherwise) times the activation code sums are added after each chunk's words. A chunk of
/// <see cref="ChunkCodes"/> codes is a whole number of runs' strides, so a lane takes the same words in the same order
/// whichever staging its kernel has.
/// </summary>
public sealed class QuantizedLinearTemplate(LinearFusion fusion, int maxRows, ActivationStaging staging) : IGpuKernelTemplate
{
    /// <summary>
    /// Activation codes a chunk of the product covers: whole groups of every size (16 to 128), and a multiple of 32
    /// weight words (the widest run) in every format (q8: 64 words, q4 and q6: 32).
    /// </summary>
    public const int ChunkCodes = 256;

    public GpuKernelShape Shape(KernelInstance instance)
    {
        var (format, k, _) = Describe(instance);
        var (codeWords, groups) = Staged(format, k);
        var layout = Layout(format, k);
        return layout.Shape(instance,
        [
            new SharedArray("uint", "xq", layout.Rows * codeWords),
            new SharedArray("float", "xs", layout.Rows * groups),
            new SharedArray("float", "xsum", layout.Rows * groups),
        ]);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var (format, k, n) = Describe(kernel.Instance);
        var layout = Layout(format, k);
        var (codeWords, groups) = Staged(format, k);
        kernel.Constant("K", k);
        kernel.Constant("N", kernel.Instance.Result[1].Size);
        kernel.Constant("G", format.Groups(k));
        kernel.Constant("GroupSize", format.GroupSize);
        kernel.Constant("StagedWords", codeWords); // a staged row's stride in xq
        kernel.Constant("StagedGroups", groups); // and in xs, xsum
        kernel.Constant("ChunkGroups", ChunkCodes / format.GroupSize);
        kernel.Constant("ChunkWords", ChunkCodes * format.ChunkedBits / 32); // weight code words a chunk
        kernel.Constant("Chunks", (format.Groups(k) * format.GroupSize + ChunkCodes - 1) / ChunkCodes);
        kernel.Constant("RowWords", format.CodeRowBytes(k) / 4);
        kernel.Constant("ChunkedWords", format.Groups(k) * format.GroupSize * format.ChunkedBits / 32);
        if (format.Bits == 6) kernel.Constant("NibbleWords", format.NibbleRowBytes(k) / 4);
        kernel.Constant("CodesWord", format.CodesOffset(n, k) / 4);
        layout.Begin(kernel);
        fusion.RenderPrologue(kernel, layout);
        if (staging == ActivationStaging.WholeRows)
        {
            RenderQuantizeRows(kernel, "0", "G");
            w.Line(d.Barrier);
        }
        using (w.Block("for (int chunk = 0; chunk < Chunks; chunk++)"))
        {
            w.Line($"int g0 = chunk * ChunkGroups, groups = {d.Min("ChunkGroups", "G - g0")};");
            // The first group staged in shared memory: the row's, or this chunk's.
            w.Line($"int s0 = {(staging == ActivationStaging.WholeRows ? "0" : "g0")};");
            if (staging == ActivationStaging.Chunks)
            {
                w.Line(d.Barrier); // everyone has read the previous chunk
                RenderQuantizeRows(kernel, "g0", "groups");
                w.Line(d.Barrier);
            }
            using (w.Block("if (c < N)"))
            {
                for (var j = 0; j < fusion.Rows.Count; j++) RenderDot(kernel, format, layout, j);
            }
        }
        fusion.RenderStore(kernel, layout);
    }

    /// <summary>
    /// Groups <paramref name="first"/>.. (<paramref name="count"/> of them) of each tile row staged: int8 codes (zero
    /// past K), scales and scaled code sums, one (row, group) per thread.
    /// </summary>
    private void RenderQuantizeRows(GpuKernelSource kernel, string first, string count)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block($"for (int u = {d.LocalId}; u < valid * {count}; u += {MatVecLayout.Threads})"))
        {
            w.Line($"int m = u / {count}, staged = u % {count}, g = {first} + staged;");
            w.Line("int start = g * GroupSize, end = " + d.Min("K", "start + GroupSize") + ";");
            w.Line("float largest = 0.0f;");
            w.Line($"for (int i = start; i < end; i++) largest = {d.Max("largest", d.Abs(fusion.Activation(kernel, "i")))};");
            w.Line("float inverse = 0.0f;");
            using (w.Block("if (largest != 0.0f)"))
            {
                kernel.Divide("quotient", "127.0f", "largest");
                w.Line("inverse = quotient;");
            }
            w.Line("int sum = 0;");
            using (w.Block("for (int j = 0; j < GroupSize / 4; j++)"))
            {
                w.Line($"{d.Uint} bytes = 0u;");
                using (w.Block("for (int b = 0; b < 4; b++)"))
                {
                    w.Line("int i = start + 4 * j + b;");
                    w.Line($"int q = i < end ? {d.Cast("int", d.RoundEven($"{fusion.Activation(kernel, "i")} * inverse"))} : 0;");
                    w.Line("sum += q;");
                    w.Line($"bytes |= {d.Cast(d.Uint, "q & 255")} << (8 * b);");
                }
                w.Line("xq[m * StagedWords + staged * (GroupSize / 4) + j] = bytes;");
            }
            kernel.Divide("scale", "largest", "127.0f");
            w.Line("xs[m * StagedGroups + staged] = scale;");
            w.Line($"xsum[m * StagedGroups + staged] = scale * {d.Cast("float", "sum")};");
        }
    }

    /// <summary>This lane's share of the chunk of the column's weight row <paramref name="j"/> · each tile row's activation codes.</summary>
    private void RenderDot(GpuKernelSource kernel, QuantFormat format, MatVecLayout layout, int j)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var (_, k, n) = Describe(kernel.Instance);
        var acc = $"acc[m * {fusion.Rows.Count} + {j}]";
        using (w.Block(""))
        {
            w.Line($"int wr = {fusion.Rows[j]};");
            using (w.Block($"for (int p = chunk * ChunkWords + lane; p < {d.Min("(chunk + 1) * ChunkWords", "ChunkedWords")}; p += {layout.Lanes})"))
            {
                w.Line($"{d.Uint} codes = {d.Word(1, "CodesWord + wr * RowWords + p")};");
                if (format.Bits == 8)
                {
                    w.Line("int group = p * 4 / GroupSize, at = p - s0 * (GroupSize / 4);");
                }
                else
                {
                    // Word p holds bytes 4p..4p+3 of the row: 16-byte block p / 4, bytes 4·(p % 4).. of it; its low
                    // nibbles pair with activation word block·8 + p % 4, its high nibbles with the word 4 after.
                    w.Line("int group = p / 4 * 32 / GroupSize, at = p / 4 * 8 + p % 4 - s0 * (GroupSize / 4);");
                    w.Line($"{d.Uint} low = codes & 0x0f0f0f0fu, high = (codes >> 4) & 0x0f0f0f0fu;");
                    if (format.Bits == 6)
                    {
                        // q6: the high bits of word p's 4 nibble bytes are 4 bits each in high word p % 4 of its
                        // 32-byte unit's 4 (p / 8), the low 4 for the unit's first 16 bytes; of those, bits 0-1 go
                        // above the low nibble's code, bits 2-3 above the high one's.
                        var highWord = d.Word(1, "CodesWord + wr * RowWords + NibbleWords + p / 8 * 4 + p % 4");
                        w.Line($"{d.Uint} highBits = ({highWord} >> {d.Cast(d.Uint, "p % 8 < 4 ? 0 : 4")}) & 0x0f0f0f0fu;");
                        w.Line("low |= (highBits & 0x03030303u) << 4;");
                        w.Line("high |= (highBits & 0x0c0c0c0cu) << 2;");
                    }
                }
                w.Line($"float weightScale = {kernel.GroupScale(1, format, n, k, "wr", "group")};");
                layout.ForRows(kernel, () =>
                {
                    if (format.Bits == 8)
                    {
                        w.Line($"{d.Uint} xv = xq[m * StagedWords + at];");
                        w.Line($"int dot = {d.DotBytes("codes", "xv")};");
                    }
                    else
                    {
                        w.Line($"{d.Uint} xlow = xq[m * StagedWords + at], xhigh = xq[m * StagedWords + at + 4];");
                        w.Line($"int dot = {d.DotBytes("low", "xlow")} + {d.DotBytes("high", "xhigh")};");
                    }
                    w.Line($"{acc} = {d.Fma(d.Cast("float", "dot"), "weightScale * xs[m * StagedGroups + group - s0]", acc)};");
                });
            }
            using (w.Block($"for (int g = g0 + lane; g < g0 + groups; g += {layout.Lanes})"))
            {
                var offset = format.HasOffsets
                    ? kernel.GroupScale(1, format, n, k, "wr", "g", offset: true)
                    : $"{kernel.GroupScale(1, format, n, k, "wr", "g")} * {d.Float(-format.ZeroCode)}";
                w.Line($"float offset = {offset};");
                layout.ForRows(kernel, () => w.Line($"{acc} = {d.Fma("offset", "xsum[m * StagedGroups + g - s0]", acc)};"));
            }
        }
    }

    private static (QuantFormat Format, int K, int WeightRows) Describe(KernelInstance instance)
    {
        var weights = instance.Operands[1];
        return (QuantFormat.Of(weights.DType), weights[1].Size, weights[0].Size);
    }

    /// <summary>
    /// Words of int8 activation codes and groups a staged row holds: the whole row (every group padded to its full
    /// size, four codes a word) or one chunk.
    /// </summary>
    private (int CodeWords, int Groups) Staged(QuantFormat format, int k) => staging == ActivationStaging.WholeRows
        ? (format.Groups(k) * format.GroupSize / 4, format.Groups(k))
        : (ChunkCodes / 4, ChunkCodes / format.GroupSize);

    private MatVecLayout Layout(QuantFormat format, int k)
    {
        var (codeWords, groups) = Staged(format, k);
        return MatVecLayout.For(format.CodeRowBytes(k) / 4, 4 * (codeWords + 2 * groups), maxRows);
    }
}
