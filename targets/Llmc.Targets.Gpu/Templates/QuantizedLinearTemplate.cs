using Llmc.Ir.Quantization;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The linear family (<see cref="LinearFusion"/>) with w in a <see cref="QuantFormat"/> (docs/quantization.md). Each
/// workgroup first rounds its activation row (normalized, with the RMSNorm prologue) to int8 per weight group into
/// shared memory, term for term as <see cref="ActivationQuantization"/> does (correctly rounded divisions, ties to
/// even), four codes per word. Then, as in <see cref="MatVecLayout"/>, each run of lanes strides its weight rows' code
/// words: a q8 word is four codes, a q4 word eight nibbles (low nibbles are codes i..i+3 of a 32-code block, high
/// nibbles codes i+16..i+19), each an exact integer dot product with the matching activation codes, scaled in f32 by
/// weight scale × activation scale; the group offsets (explicit for q4a, −scale·zero code otherwise) times the
/// activation code sums are added once per group.
/// </summary>
public sealed class QuantizedLinearTemplate(LinearFusion fusion) : IGpuKernelTemplate
{
    public GpuKernelShape Shape(KernelInstance instance)
    {
        var (format, k, _) = Describe(instance);
        return Layout(format, k).Shape(instance,
        [
            new SharedArray("uint", "xq", format.Groups(k) * format.GroupSize / 4),
            new SharedArray("float", "xs", format.Groups(k)),
            new SharedArray("float", "xsum", format.Groups(k)),
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
        kernel.Constant("RowWords", format.CodeRowBytes(k) / 4);
        kernel.Constant("CodesWord", format.CodesOffset(n, k) / 4);
        kernel.Constant("OffsetsWord", format.OffsetsOffset(n, k) / 4);
        layout.Begin(kernel);
        fusion.RenderPrologue(kernel);
        RenderQuantizeRow(kernel);
        w.Line(d.Barrier);
        var rows = fusion.Rows;
        for (var j = 0; j < rows.Count; j++) w.Line($"float acc{j} = 0.0f;");
        using (w.Block("if (c < N)"))
        {
            for (var j = 0; j < rows.Count; j++) RenderDot(kernel, format, layout, rows[j], $"acc{j}");
        }
        fusion.RenderStore(kernel, layout);
    }

    /// <summary>Row r's int8 codes (zero past K), scales and scaled code sums, one group per thread.</summary>
    private void RenderQuantizeRow(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block($"for (int g = {d.LocalId}; g < G; g += {MatVecLayout.Threads})"))
        {
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
                w.Line("xq[g * (GroupSize / 4) + j] = bytes;");
            }
            kernel.Divide("scale", "largest", "127.0f");
            w.Line("xs[g] = scale;");
            w.Line($"xsum[g] = scale * {d.Cast("float", "sum")};");
        }
    }

    /// <summary>This lane's share of weight row <paramref name="row"/> · the activation codes, added to <paramref name="acc"/>.</summary>
    private static void RenderDot(GpuKernelSource kernel, QuantFormat format, MatVecLayout layout, string row, string acc)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block(""))
        {
            w.Line($"int wr = {row};");
            using (w.Block($"for (int p = lane; p < RowWords; p += {layout.Lanes})"))
            {
                w.Line($"{d.Uint} codes = {d.Word(1, "CodesWord + wr * RowWords + p")};");
                if (format.Bits == 8)
                {
                    w.Line("int group = p * 4 / GroupSize;");
                    w.Line($"{d.Uint} xv = xq[p];");
                    w.Line($"int dot = {d.DotBytes("codes", "xv")};");
                }
                else
                {
                    // Word p holds bytes 4p..4p+3 of the row: 16-byte block p / 4, bytes 4·(p % 4).. of it.
                    w.Line("int block = p / 4, j = p % 4;");
                    w.Line("int group = block * 32 / GroupSize;");
                    w.Line($"{d.Uint} low = codes & 0x0f0f0f0fu, high = (codes >> 4) & 0x0f0f0f0fu;");
                    w.Line($"{d.Uint} xlow = xq[block * 8 + j], xhigh = xq[block * 8 + 4 + j];");
                    w.Line($"int dot = {d.DotBytes("low", "xlow")} + {d.DotBytes("high", "xhigh")};");
                }
                w.Line($"{acc} = {d.Fma(d.Cast("float", "dot"), $"{d.BitsToFloat(d.Word(1, "wr * G + group"))} * xs[group]", acc)};");
            }
            using (w.Block($"for (int g = lane; g < G; g += {layout.Lanes})"))
            {
                var offset = format.HasOffsets
                    ? d.BitsToFloat(d.Word(1, "OffsetsWord + wr * G + g"))
                    : $"{d.BitsToFloat(d.Word(1, "wr * G + g"))} * {d.Float(-format.ZeroCode)}";
                w.Line($"{acc} = {d.Fma(offset, "xsum[g]", acc)};");
            }
        }
    }

    private static (QuantFormat Format, int K, int WeightRows) Describe(KernelInstance instance)
    {
        var weights = instance.Operands[1];
        return (QuantFormat.Of(weights.DType), weights[1].Size, weights[0].Size);
    }

    private static MatVecLayout Layout(QuantFormat format, int k) => MatVecLayout.For(format.CodeRowBytes(k) / 4);
}
