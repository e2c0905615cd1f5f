using System.Globalization;
using Llmc.Ir.Quantization;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>embedding(table, ids)</c> with the table in a <see cref="QuantFormat"/>: result row r is table row <c>ids[r]</c>
/// dequantized value by value as <see cref="QuantView.Value"/> does (scale · (code − zero code), or fma(scale, code,
/// offset) for the asymmetric schemes), times the embedding's <c>scale</c> where given. One row per token is little
/// work, so it is scalar. An id outside the table throws rather than reading past it.
/// </summary>
public sealed class QuantizedRowGatherTemplate : ICpuKernelTemplate
{
    public void Render(KernelSource kernel)
    {
        var w = kernel.Writer;
        var (table, result) = (kernel.Instance.Operands[0], kernel.Instance.Result);
        var format = QuantFormat.Of(table.DType);
        int n = table[0].Size, k = table[1].Size;
        w.Line("byte* table = (byte*)args[0];");
        kernel.Operand("indices", 1);
        kernel.Result("y");
        kernel.Constant("Width", k);
        kernel.Constant("G", format.Groups(k));
        kernel.Constant("GroupSize", format.GroupSize);
        kernel.Constant("RowBytes", format.CodeRowBytes(k));
        var scaled = kernel.Instance.Attrs.ContainsKey("scale");
        if (scaled) kernel.Constant("Scale", kernel.Instance.Attrs.GetDouble("scale"));
        var scales = ElementFormat.For(format.ScaleType);
        var groupScale = format.IsSuperBlocked ? "sbyte" : scales.ElementType;
        w.Line($"{groupScale}* scales = ({groupScale}*)table;");
        if (format.HasOffsets) w.Line($"{groupScale}* offsets = scales + {((long)n * format.Groups(k)).ToString(CultureInfo.InvariantCulture)}L;");
        if (format.IsSuperBlocked)
        {
            kernel.Constant("S", format.Supers(k));
            w.Line($"ushort* supers = (ushort*)(table + {format.SupersOffset(n, k).ToString(CultureInfo.InvariantCulture)}L);");
            if (format.HasOffsets) w.Line($"ushort* superOffsets = (ushort*)(table + {format.SuperOffsetsOffset(n, k).ToString(CultureInfo.InvariantCulture)}L);");
        }
        w.Line($"byte* codes = table + {format.CodesOffset(n, k).ToString(CultureInfo.InvariantCulture)}L;");
        kernel.Share(KernelSource.Size(result[0]), "first", "last");
        using (w.Block("for (int r = first; r < last; r++)"))
        {
            w.Line("int index = indices[r];");
            w.Line($"if ((uint)index >= {n}u)");
            w.Line($"    throw new IndexOutOfRangeException(\"{kernel.Name}: index \" + index + \" outside {n} rows\");");
            w.Line("byte* row = codes + (long)index * RowBytes;");
            w.Line("float* to = y + (long)r * Width;");
            using (w.Block("for (int i = 0; i < Width; i++)"))
            {
                w.Line("long g = (long)index * G + i / GroupSize;");
                const int block = QuantFormat.NibbleBlock, half = QuantFormat.NibbleBlock / 2;
                if (format.Bits == 8) w.Line("int code = row[i];");
                else
                {
                    // Code i sits in byte i % 16 of its 32-code block: the low nibble for the block's first 16 codes.
                    w.Line($"int at = i / {block} * {half} + i % {half};");
                    w.Line($"int code = (i % {block} < {half} ? row[at] : row[at] >> 4) & 0xF;");
                }
                if (format.Bits == 6)
                {
                    // Its high bits: 4 bits of the nibble byte in byte at % 16 of its unit's 16 high bytes, the low 4
                    // for the unit's first 16 nibble bytes; of those, the low 2 for the low nibble's code.
                    const int unit = QuantFormat.HighBitsUnit;
                    w.Line($"int high = row[{format.NibbleRowBytes(k)} + at / {unit} * {unit / 2} + at % {unit / 2}];");
                    w.Line($"code |= ((high >> ((at % {unit} < {unit / 2} ? 0 : 4) + (i % {block} < {half} ? 0 : 2))) & 3) << 4;");
                }
                // A super-blocked format's scale is its factor times its super-block's f16 value (exact in f32).
                string Load(string plane, string supers) => format.IsSuperBlocked
                    ? $"(float)BitConverter.UInt16BitsToHalf({supers}[(long)index * S + i / {format.SuperBlock}]) * {plane}[g]"
                    : scales.LoadScalar(plane, "g");
                var (scale, offset) = (Load("scales", "supers"), Load("offsets", "superOffsets"));
                var value = format.HasOffsets ? $"MathF.FusedMultiplyAdd({scale}, code, {offset})" : $"{scale} * (code - {format.ZeroCode})";
                w.Line($"to[i] = {value}{(scaled ? " * Scale" : "")};");
            }
        }
    }
}
