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
/// in blocks whose codes fit L2: every pass of up to <see cref="QuantizedRowsDot.MaxRows"/> rows (in L1) walks the whole
/// block, dotting two columns at a time, so each activation code loaded serves both columns and each code unpacked
/// serves every row of the pass (a blocked GEMM with a 2 × 4 register tile). f16 group scales (and offsets) are
/// widened to f32, exactly, once per column and panel into a block scratch that every pass reads; super-blocked ones
/// are multiplied out there (<see cref="SuperBlockScales"/>). 8-bit codes in groups
/// of 32 (<see cref="QuantizedRowLayout.GroupLanes"/>) go a pair of columns at a time instead: each transposed to a
/// group per lane (<see cref="GroupLanesTransposition"/>) just before the panel's first pass over it, every pass then
/// reading the pair from L1; one row dots them untransposed (<c>DotNatural</c>) to the same bits. Nibble codes in groups
/// of 32 (<see cref="QuantizedRowLayout.NibbleBlocks"/>) stay in natural order and meet their scales, widened in lane
/// order, once per block of groups.
/// A <see cref="LinearFusion"/> adds a fused linear's prologue (the row that is rounded) and epilogue (how products
/// are stored).
/// </summary>
public sealed class QuantizedLinearTemplate(LinearFusion? fusion = null) : ICpuKernelTemplate
{
    private readonly LinearFusion _fusion = fusion ?? LinearFusion.Plain;

    // Prepared rows per panel: as many as fit this scratch (kept in L2 while the task's columns stream past).
    private const int PanelBytes = 128 * 1024;

    // Launch shares per share of a call of several rows: the worker pool cuts a launch into 4 shares a thread so a late
    // thread holds up little, but every share of such a call rounds all its rows (PrepareRow), 7.5 % of the SmolLM2-135M
    // config's 16-row decode step with 8 shares on 2 threads. Halving them measured that step 22.7, 21.9, 22.1 ->
    // 20.6, 20.7, 20.4 ms and its 512-token prefill 725 -> 684 ms; a quarter (one share a thread, as the pool's 4 a
    // thread are divided here) 20.0, 20.1, 20.3 -> 19.5, 19.4, 18.8 ms and 648, 644 -> 633, 642 ms.
    private const int LaunchSharesPerRoundingShare = 4;

    // The most columns a block holds (a block of short rows).
    public const int MaxBlockColumns = 64;

    // Columns dotted together: each pass loads a row's activation codes once for both (QuantizedRowsDot's DotPair).
    private const int PairColumns = 2;

    // Code bytes of a block of columns, walked by every pass of rows of a panel while they stay in L2 (Zen 4: 1 MB, with
    // the panel's 128 KB beside them), so a pass's rows stay in L1 and the codes come from L2.
    private const int BlockBytes = 256 * 1024;

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
        var scales = ElementFormat.For(format.ScaleType);
        // Lane-ordered codes take their scales (and offsets) in lane order from the block scratch, whatever their type;
        // super-blocked ones are multiplied out there.
        var widens = layout.LaneOrdered || format.ScaleType != DType.F32 || format.IsSuperBlocked;
        var groupScale = format.IsSuperBlocked ? "sbyte" : scales.ElementType;
        w.Line($"{groupScale}* scales = ({groupScale}*)w;");
        // The symmetric schemes' offset is −scale·zero code; the −zero code is in the prepared bias.
        w.Line(format.HasOffsets ? $"{groupScale}* offsets = scales + (long)N * G;" : $"{groupScale}* offsets = scales;");
        if (format.IsSuperBlocked)
        {
            kernel.Constant("S", format.Supers(k));
            w.Line($"ushort* supers = (ushort*)(w + {format.SupersOffset(n, k).ToString(CultureInfo.InvariantCulture)}L);");
            w.Line(format.HasOffsets ? "ushort* superOffsets = supers + (long)N * S;" : "ushort* superOffsets = supers;");
        }
        w.Line($"byte* codes = w + {format.CodesOffset(n, k).ToString(CultureInfo.InvariantCulture)}L;");
        w.Line($"int rows = {KernelSource.Size(x[0])};");
        var multiple = _fusion.ColumnMultiple;
        // Several rows: fewer, larger shares than the launch has (LaunchSharesPerRoundingShare).
        var (task, tasks) = (kernel.Dialect.TaskIndex, kernel.Dialect.TaskCount);
        w.Line($"int shares = rows == 1 ? {tasks} : Math.Max(1, {tasks} / {LaunchSharesPerRoundingShare});");
        w.Line($"if ({task} >= shares) return;");
        kernel.Share($"N / {multiple}", "first", "last", shares: "shares");
        w.Line("if (first == last) return;");
        w.Line($"float* dots = stackalloc float[RowsPerPass * {PairColumns}];");
        // Columns per block: their codes stay in L2 while each pass of rows (in L1) walks them; lane-ordered codes go
        // a pair at a time (below).
        kernel.Constant("BlockColumns", layout.GroupLanes ? PairColumns : Math.Clamp(BlockBytes / layout.RowBytes / PairColumns * PairColumns, PairColumns, MaxBlockColumns));
        if (widens)
        {
            // Per column of the block its widened scales, then (q4a) its offsets, each G rounded up to whole vectors
            // plus four floats: the dot's 128-bit scale loads at the last groups select no lane past G.
            kernel.Constant("WidenedGroups", (format.Groups(k) + kernel.Dialect.Lanes - 1) / kernel.Dialect.Lanes * kernel.Dialect.Lanes + 4);
            w.Line($"float* widened = stackalloc float[BlockColumns * {ScalePlanes(format)} * WidenedGroups];");
        }
        if (format.IsSuperBlocked) w.Line($"float* superValues = stackalloc float[{new SuperBlockScales(format, layout).ScratchFloats}];");
        if (layout.GroupLanes)
        {
            // Several rows dot a pair of columns transposed (GroupLanesTransposition), every pass of the panel's rows
            // from this scratch; one row (decode) dots the codes as they are, summing each block's groups in registers.
            w.Line("bool natural = rows == 1;");
            w.Line($"byte* transposed = stackalloc byte[natural ? 0 : {PairColumns} * RowBytes + 64];");
            w.Line("transposed = (byte*)(((nint)transposed + 63) & ~(nint)63);");
        }
        w.Line("byte* panel = stackalloc byte[Math.Min(rows, PanelRows) * PreparedBytes + 64];");
        w.Line("panel = (byte*)(((nint)panel + 63) & ~(nint)63);");
        _fusion.DeclareQuantizedState(kernel);
        w.Line($"int end = last * {multiple};");
        using (w.Block("for (int p0 = 0; p0 < rows; p0 += PanelRows)"))
        {
            w.Line("int panelRows = Math.Min(PanelRows, rows - p0);");
            var transposes = layout.GroupLanes ? ", !natural" : "";
            _fusion.BeginStagedGated(w, "first");
            w.Line($"for (int i = 0; i < panelRows; i++) PrepareRow({_fusion.QuantizedRow("p0 + i")}, panel + i * PreparedBytes{transposes});");
            // One row (decode) reuses nothing across columns: blocks of one pair, whose scales are widened just before
            // their codes stream in (widening a whole block ahead measured 15 % slower decode on the 1B config). Lane-
            // ordered codes take every pass of the panel over a pair before the next (its transposition in L1, and the
            // weights streaming in while the passes compute: 1.2x the 16-row step of blocks in L2 on the 135M config).
            w.Line($"int blockColumns = panelRows == 1 ? {PairColumns} : BlockColumns;");
            using (w.Block($"for (int c0 = first * {multiple}; c0 < end; c0 += blockColumns)"))
            {
                w.Line("int blockEnd = Math.Min(end, c0 + blockColumns);");
                if (widens)
                {
                    var to = ColumnScales(format, widens, 0);
                    var widen = format.IsSuperBlocked ? SuperBlockScales.Name : layout.LaneOrdered ? LaneOrderedScales.Name(scales) : "Widen";
                    string Planes(string plane, string supers) => format.IsSuperBlocked ? $"{plane} + (long)c * G, {supers} + (long)c * S" : $"{plane} + (long)c * G";
                    var scratch = format.IsSuperBlocked ? ", superValues" : "";
                    w.Line(format.HasOffsets
                        ? $"for (int c = c0; c < blockEnd; c++) {{ {widen}({Planes("scales", "supers")}, {to.Scales}{scratch}); {widen}({Planes("offsets", "superOffsets")}, {to.Offsets}{scratch}); }}"
                        : $"for (int c = c0; c < blockEnd; c++) {widen}({Planes("scales", "supers")}, {to.Scales}{scratch});");
                }
                using (w.Block("for (int r0 = 0; r0 < panelRows; r0 += RowsPerPass)"))
                {
                    w.Line("int count = Math.Min(RowsPerPass, panelRows - r0);");
                    w.Line("byte* prepared = panel + r0 * PreparedBytes;");
                    using (w.Block("for (int c = c0; c < blockEnd; )"))
                    {
                        // Several rows dot two columns at a time; one row (decode) dots one, which measured faster. A
                        // gated linear's gate and up rows are always taken together, an ungated block's odd last column alone.
                        w.Line("bool pair = panelRows > 1 && c + 1 < blockEnd;");
                        w.Line($"int width = {(multiple == PairColumns ? "2" : "pair ? 2 : 1")};");
                        var (a, b) = (ColumnScales(format, widens, 0), ColumnScales(format, widens, 1));
                        var (codesA, codesB) = ("codes + (long)c * RowBytes", "codes + (long)(c + 1) * RowBytes");
                        if (layout.GroupLanes)
                        {
                            using (w.Block("if (natural)"))
                            {
                                w.Line($"DotNatural({codesA}, {a.Scales}, {a.Offsets}, prepared, dots);");
                                w.Line($"if (width == 2) DotNatural({codesB}, {b.Scales}, {b.Offsets}, prepared, dots + RowsPerPass);");
                            }
                            w.Line("else if (r0 == 0) for (int t = c; t < c + width; t++) TransposeRow(codes + (long)t * RowBytes, transposed + (t - c0) * RowBytes);");
                            (codesA, codesB) = ("transposed + (c - c0) * RowBytes", "transposed + (c + 1 - c0) * RowBytes");
                        }
                        using (w.Block(layout.GroupLanes ? "if (!natural)" : ""))
                        {
                            w.Line($"if (pair) DotPair(count, {codesA}, {a.Scales}, {a.Offsets}, {codesB}, {b.Scales}, {b.Offsets}, prepared, dots, dots + RowsPerPass);");
                            using (w.Block("else"))
                            {
                                w.Line($"Dot(count, {codesA}, {a.Scales}, {a.Offsets}, prepared, dots);");
                                w.Line($"if (width == 2) Dot(count, {codesB}, {b.Scales}, {b.Offsets}, prepared, dots + RowsPerPass);");
                            }
                        }
                        using (w.Block("for (int i = 0; i < count; i++)"))
                        {
                            if (multiple == PairColumns)
                            {
                                _fusion.StageGated(w, "r0 + i", "c", "dots[i]", "dots[RowsPerPass + i]");
                            }
                            else
                            {
                                _fusion.Store(w, "p0 + r0 + i", "c", ["dots[i]"], rowScale: null);
                                using (w.Block("if (width == 2)"))
                                    _fusion.Store(w, "p0 + r0 + i", "c + 1", ["dots[RowsPerPass + i]"], rowScale: null);
                            }
                        }
                        w.Line("c += width;");
                    }
                }
                _fusion.StoreStagedGated(w, kernel.Dialect, "blockEnd", "end");
            }
        }
        if (layout.GroupLanes) new GroupLanesTransposition(kernel.Dialect).Render(w);
        if (layout.NibbleBlocks) new NibbleBlockSums(layout).Render(w);
        if (format.IsSuperBlocked) new SuperBlockScales(format, layout).Render(w);
        else if (widens && !layout.LaneOrdered) RenderWiden(kernel.Dialect, scales, w);
        // The columns' scales (unless super-blocked) and the prepared rows' f32 scales and bias terms.
        if (layout.LaneOrdered) new LaneOrderedScales(layout).Render(w, format.IsSuperBlocked ? [ElementFormat.For(DType.F32)] : [scales, ElementFormat.For(DType.F32)]);
        new QuantizedRowPreparation(layout).Render(w);
        new QuantizedRowsDot(layout).Render(w);
        _fusion.RenderHelpers(kernel, quantized: true);
    }

    /// <summary>
    /// The f32 scales and offsets of column c + <paramref name="j"/> as the dot reads them: the weight's own planes when
    /// they are f32, else that column's widened planes in the block's scratch.
    /// </summary>
    private static (string Scales, string Offsets) ColumnScales(QuantFormat format, bool widens, int j)
    {
        var column = j == 0 ? "c" : $"c + {j}";
        if (!widens) return ($"scales + (long)({column}) * G", $"offsets + (long)({column}) * G");
        var to = $"widened + ({column} - c0) * {ScalePlanes(format)} * WidenedGroups";
        return (to, format.HasOffsets ? $"{to} + WidenedGroups" : to);
    }

    /// <summary>Widened planes per column: its scales, and q4a's offsets.</summary>
    private static int ScalePlanes(QuantFormat format) => format.HasOffsets ? 2 : 1;

    /// <summary>
    /// <c>Widen(from, to)</c>: a column's G f16 scales (or offsets) to f32, whole vectors at a time. The last vector
    /// may read up to Lanes − 1 halves (30 bytes) past the column: the next column's, the next plane's, or padding and
    /// codes, and those always follow for that long (each group's 2 bytes of a plane come with 16 or 32 bytes of codes,
    /// and the planes are padded to 64 bytes), so every read is inside the weight.
    /// </summary>
    private static void RenderWiden(CpuDialect dialect, ElementFormat scales, Emit.SourceWriter w)
    {
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static void Widen({scales.ElementType}* from, float* to)"))
            w.Line($"for (int g = 0; g < G; g += {dialect.Lanes}) {scales.LoadVector(dialect, "from", "g")}.Store(to + g);");
    }
}
