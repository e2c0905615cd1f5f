using System.Globalization;
using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>linear(x[r, K], w[N, K])</c> with w in a <see cref="QuantFormat"/> (docs/quantization.md). Each activation row
/// is rounded to int8 per weight group exactly as <see cref="ActivationQuantization"/> defines and laid out once per
/// task to match the vector chunks of a weight row (<see cref="QuantizedRowLayout"/>); every output is then, per
/// group, an exact integer dot product of weight and activation codes, scaled in f32, plus the group's offset times
/// the activation code sum (<see cref="QuantizedRowsDot"/>). Tasks split the columns, so decode reads each weight byte
/// once; a task prepares a panel of rows (as many as fit a cache-sized scratch) and walks its columns once per panel,
/// dotting each column with up to <see cref="QuantizedRowsDot.MaxRows"/> rows per pass while its codes are in L1.
/// A <see cref="LinearFusion"/> adds a fused linear's prologue (the row that is rounded) and epilogue (how products
/// are stored).
/// </summary>
public sealed class QuantizedLinearTemplate(LinearFusion? fusion = null) : ICpuKernelTemplate
{
    private readonly LinearFusion _fusion = fusion ?? LinearFusion.Plain;

    // Prepared rows per panel: as many as fit this scratch (kept in L2 while the task's columns stream past).
    private const int PanelBytes = 128 * 1024;

    public void Render(KernelSource kernel)
    {
        var w = kernel.Writer;
        var (x, weights) = (kernel.Instance.Operands[0], kernel.Instance.Operands[1]);
        var format = QuantFormat.Of(weights.DType);
        int k = weights[1].Size, n = weights[0].Size;
        var layout = new QuantizedRowLayout(format, kernel.Dialect, k);
        var rowsPerPass = QuantizedRowsDot.MaxRows;
        kernel.Operand("x", 0);
        w.Line("byte* w = (byte*)args[1];");
        kernel.Result("y");
        kernel.Constant("N", n);
        layout.Declare(kernel);
        kernel.Constant("PanelRows", Math.Clamp(PanelBytes / layout.PreparedBytes / rowsPerPass * rowsPerPass, rowsPerPass, 64));
        kernel.Constant("RowsPerPass", rowsPerPass);
        _fusion.Declare(kernel);
        var scaleType = ElementFormat.For(format.ScaleType).ElementType;
        w.Line($"{scaleType}* scales = ({scaleType}*)w;");
        // The symmetric schemes' offset is −scale·zero code; the −zero code is in the prepared bias.
        w.Line(format.HasOffsets ? $"{scaleType}* offsets = scales + (long)N * G;" : $"{scaleType}* offsets = scales;");
        w.Line($"byte* codes = w + {format.CodesOffset(n, k).ToString(CultureInfo.InvariantCulture)}L;");
        w.Line($"int rows = {KernelSource.Size(x[0])};");
        var multiple = _fusion.ColumnMultiple;
        kernel.Share($"N / {multiple}", "first", "last");
        w.Line("if (first == last) return;");
        w.Line($"float* dots = stackalloc float[RowsPerPass * {multiple}];");
        w.Line("byte* panel = stackalloc byte[Math.Min(rows, PanelRows) * PreparedBytes + 64];");
        w.Line("panel = (byte*)(((nint)panel + 63) & ~(nint)63);");
        _fusion.DeclareQuantizedState(kernel);
        using (w.Block("for (int p0 = 0; p0 < rows; p0 += PanelRows)"))
        {
            w.Line("int panelRows = Math.Min(PanelRows, rows - p0);");
            w.Line($"for (int i = 0; i < panelRows; i++) PrepareRow({_fusion.QuantizedRow("p0 + i")}, panel + i * PreparedBytes);");
            using (w.Block($"for (int c = first * {multiple}; c < last * {multiple}; c += {multiple})"))
            using (w.Block("for (int r0 = 0; r0 < panelRows; r0 += RowsPerPass)"))
            {
                w.Line("int count = Math.Min(RowsPerPass, panelRows - r0);");
                foreach (var j in Enumerable.Range(0, multiple))
                {
                    var column = j == 0 ? "c" : $"c + {j}";
                    w.Line($"Dot(count, codes + (long)({column}) * RowBytes, scales + (long)({column}) * G, offsets + (long)({column}) * G, panel + r0 * PreparedBytes, dots + {j * rowsPerPass});");
                }
                using (w.Block("for (int i = 0; i < count; i++)"))
                    _fusion.Store(w, "p0 + r0 + i", "c", [.. Enumerable.Range(0, multiple).Select(j => $"dots[{j * rowsPerPass} + i]")], rowScale: null);
            }
        }
        new QuantizedRowPreparation(layout).Render(w);
        new QuantizedRowsDot(layout).Render(w);
        _fusion.RenderHelpers(kernel, quantized: true);
    }
}
