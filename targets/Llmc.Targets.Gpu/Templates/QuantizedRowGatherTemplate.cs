using Llmc.Ir.Quantization;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>embedding(table, ids)</c> with the table in a <see cref="QuantFormat"/>: result row r is table row <c>ids[r]</c>
/// dequantized as <see cref="QuantView.Value"/> does (scale · (code − zero code), or fma(scale, code, offset) for the
/// asymmetric schemes, so every target gives the same bits), times the embedding's <c>scale</c> where given. A thread
/// per value, as the float gather; an id outside the table leaves its row unwritten rather than reading past it.
/// </summary>
public sealed class QuantizedRowGatherTemplate : IGpuKernelTemplate
{
    public GpuKernelShape Shape(KernelInstance instance) => RowGatherTemplate.ShapeOf(instance);

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var table = kernel.Instance.Operands[0];
        var format = QuantFormat.Of(table.DType);
        int n = table[0].Size, k = table[1].Size;
        kernel.Constant("GroupSize", format.GroupSize);
        kernel.Constant("RowWords", format.CodeRowBytes(k) / 4);
        kernel.Constant("CodesWord", format.CodesOffset(n, k) / 4);
        RowGatherTemplate.RenderIndex(kernel);
        // Byte i of the row's codes (q8), or for a nibble its byte in the 16 of its 32-code block, and the shift to it.
        w.Line(format.Bits == 8
            ? "int at = i, shift = 0;"
            : $"int at = i / {QuantFormat.NibbleBlock} * {QuantFormat.NibbleBlock / 2} + i % {QuantFormat.NibbleBlock / 2}, shift = i % {QuantFormat.NibbleBlock} < {QuantFormat.NibbleBlock / 2} ? 0 : 4;");
        w.Line($"{d.Uint} word = {d.Word(0, "CodesWord + index * RowWords + at / 4")};");
        w.Line($"int code = {d.Cast("int", $"(word >> {d.Cast(d.Uint, "8 * (at % 4) + shift")}) & {(format.Bits == 8 ? "255u" : "15u")}")};");
        if (format.Bits == 6)
        {
            // Its high bits: 4 bits of nibble byte at in byte at % 16 of its 32-byte unit's 16 high bytes (the low 4 for
            // the unit's first 16 nibble bytes), of which the low 2 for the low nibble's code.
            const int unit = QuantFormat.HighBitsUnit;
            kernel.Constant("NibbleBytes", format.NibbleRowBytes(k));
            w.Line($"int high = NibbleBytes + at / {unit} * {unit / 2} + at % {unit / 2};");
            w.Line($"{d.Uint} highWord = {d.Word(0, "CodesWord + index * RowWords + high / 4")};");
            w.Line($"code |= {d.Cast("int", $"(highWord >> {d.Cast(d.Uint, $"8 * (high % 4) + (at % {unit} < {unit / 2} ? 0 : 4) + shift / 2")}) & 3u")} << 4;");
        }
        w.Line($"float scale = {kernel.GroupScale(0, format, n, k, "index", "i / GroupSize")};");
        var value = format.HasOffsets
            ? d.Fma("scale", d.Cast("float", "code"), kernel.GroupScale(0, format, n, k, "index", "i / GroupSize", offset: true))
            : $"scale * {d.Cast("float", $"code - {format.ZeroCode}")}";
        var scaled = kernel.Instance.Attrs.ContainsKey("scale") ? $" * {d.Float(kernel.Instance.Attrs.GetDouble("scale"))}" : "";
        w.Line($"{d.PreciseFloat} value = {value};");
        w.Line(kernel.StoreResult("r * Width + i", "value" + scaled));
    }
}
