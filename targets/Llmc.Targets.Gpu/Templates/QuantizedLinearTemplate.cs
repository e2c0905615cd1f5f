using Llmc.Ir.Quantization;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The linear family (<see cref="LinearFusion"/>) with w in a <see cref="QuantFormat"/> (docs/quantization.md). Each
/// workgroup first rounds its activation row (normalized, with the RMSNorm prologue) to int8 per weight group into
/// shared memory, term for term as <see cref="ActivationQuantization"/> does (correctly rounded divisions, ties to
/// even), four codes per word. Then, as in <see cref="MatVecLayout"/>, each run of lanes strides its weight rows' code
/// words: a q8 word is four codes, a q4 word eight nibbles (low nibbles are codes i..i+3 of a 32-code block, high
/// nibbles codes i+16..i+19; q6 joins each nibble's two high bits from its high-bit plane), each an exact integer dot
/// product with the matching activation codes, scaled in f32 by
/// weight scale × activation scale; the group offsets (explicit for q4a, −scale·zero code otherwise) times the
/// activation code sums are added once per group.
/// </summary>
public sealed class QuantizedLinearTemplate(LinearFusion fusion, int maxRows) : IGpuKernelTemplate
{
    public GpuKernelShape Shape(KernelInstance instance)
    {
        var (format, k, _) = Describe(instance);
        var layout = Layout(format, k);
        return layout.Shape(instance,
        [
            new SharedArray("uint", "xq", layout.Rows * CodeWords(format, k)),
            new SharedArray("float", "xs", layout.Rows * format.Groups(k)),
            new SharedArray("float", "xsum", layout.Rows * format.Groups(k)),
        ]);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var (format, k, n) = Describe(kernel.Instance);
        var layout = Layout(format, k);
        kernel.Constant("K", k);
        kernel.Constant("N", kernel.Instance.Result[1].Size);
        kernel.Constant("G", format.Groups(k));
        kernel.Constant("GroupSize", format.GroupSize);
        kernel.Constant("XqWords", CodeWords(format, k));
        kernel.Constant("RowWords", format.CodeRowBytes(k) / 4);
        kernel.Constant("ChunkedWords", format.Groups(k) * format.GroupSize * (format.HasNibbles ? 4 : 8) / 32);
        if (format.Bits == 6) kernel.Constant("NibbleWords", format.NibbleRowBytes(k) / 4);
        kernel.Constant("CodesWord", format.CodesOffset(n, k) / 4);
        kernel.Constant("OffsetsAt", (long)n * format.Groups(k)); // the offset plane's first element, in scales
        layout.Begin(kernel);
        fusion.RenderPrologue(kernel, layout);
        RenderQuantizeRows(kernel, layout);
        w.Line(d.Barrier);
        using (w.Block("if (c < N)"))
        {
            for (var j = 0; j < fusion.Rows.Count; j++) RenderDot(kernel, format, layout, j);
        }
        fusion.RenderStore(kernel, layout);
    }

    /// <summary>Each tile row's int8 codes (zero past K), scales and scaled code sums, one (row, group) per thread.</summary>
    private void RenderQuantizeRows(GpuKernelSource kernel, MatVecLayout layout)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block($"for (int u = {d.LocalId}; u < valid * G; u += {MatVecLayout.Threads})"))
        {
            w.Line("int m = u / G, g = u % G;");
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
                w.Line("xq[m * XqWords + g * (GroupSize / 4) + j] = bytes;");
            }
            kernel.Divide("scale", "largest", "127.0f");
            w.Line("xs[u] = scale;");
            w.Line($"xsum[u] = scale * {d.Cast("float", "sum")};");
        }
    }

    /// <summary>This lane's share of the column's weight row <paramref name="j"/> · each tile row's activation codes.</summary>
    private void RenderDot(GpuKernelSource kernel, QuantFormat format, MatVecLayout layout, int j)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var acc = $"acc[m * {fusion.Rows.Count} + {j}]";
        using (w.Block(""))
        {
            w.Line($"int wr = {fusion.Rows[j]};");
            using (w.Block($"for (int p = lane; p < ChunkedWords; p += {layout.Lanes})"))
            {
                w.Line($"{d.Uint} codes = {d.Word(1, "CodesWord + wr * RowWords + p")};");
                if (format.Bits == 8)
                {
                    w.Line("int group = p * 4 / GroupSize, at = p;");
                }
                else
                {
                    // Word p holds bytes 4p..4p+3 of the row: 16-byte block p / 4, bytes 4·(p % 4).. of it; its low
                    // nibbles pair with activation word block·8 + p % 4, its high nibbles with the word 4 after.
                    w.Line("int group = p / 4 * 32 / GroupSize, at = p / 4 * 8 + p % 4;");
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
                w.Line($"float weightScale = {kernel.Load(1, format.ScaleType, "wr * G + group")};");
                layout.ForRows(kernel, () =>
                {
                    if (format.Bits == 8)
                    {
                        w.Line($"{d.Uint} xv = xq[m * XqWords + at];");
                        w.Line($"int dot = {d.DotBytes("codes", "xv")};");
                    }
                    else
                    {
                        w.Line($"{d.Uint} xlow = xq[m * XqWords + at], xhigh = xq[m * XqWords + at + 4];");
                        w.Line($"int dot = {d.DotBytes("low", "xlow")} + {d.DotBytes("high", "xhigh")};");
                    }
                    w.Line($"{acc} = {d.Fma(d.Cast("float", "dot"), "weightScale * xs[m * G + group]", acc)};");
                });
            }
            using (w.Block($"for (int g = lane; g < G; g += {layout.Lanes})"))
            {
                var offset = format.HasOffsets
                    ? kernel.Load(1, format.ScaleType, "OffsetsAt + wr * G + g")
                    : $"{kernel.Load(1, format.ScaleType, "wr * G + g")} * {d.Float(-format.ZeroCode)}";
                w.Line($"float offset = {offset};");
                layout.ForRows(kernel, () => w.Line($"{acc} = {d.Fma("offset", "xsum[m * G + g]", acc)};"));
            }
        }
    }

    private static (QuantFormat Format, int K, int WeightRows) Describe(KernelInstance instance)
    {
        var weights = instance.Operands[1];
        return (QuantFormat.Of(weights.DType), weights[1].Size, weights[0].Size);
    }

    /// <summary>Words of int8 activation codes per row: four codes per word, every group padded to its full size.</summary>
    private static int CodeWords(QuantFormat format, int k) => format.Groups(k) * format.GroupSize / 4;

    private MatVecLayout Layout(QuantFormat format, int k) =>
        MatVecLayout.For(format.CodeRowBytes(k) / 4, 4 * (CodeWords(format, k) + 2 * format.Groups(k)), maxRows);
}
