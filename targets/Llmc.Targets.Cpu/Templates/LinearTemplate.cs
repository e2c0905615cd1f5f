namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>linear(x[r, K], w[N, K]) -> y[r, N]</c>, <c>y = x·wᵀ</c>. The output is cut into units of a row block by a
/// column block; tasks take contiguous runs of units, ordered down the rows under one column block so a task's
/// weight tile stays in cache while the row blocks stream past it. Decode (one row) therefore splits the columns,
/// prefill tiles rows × columns. Inside a unit, register tiles of 4 rows × 2 columns (1 row × 4 columns for the
/// leftover rows) share every vector load between several fused multiply-adds; with f16 weights the 4-row tiles are
/// 4 × 4 over x prepared once per task (<see cref="PairedPanels"/>). A <see cref="LinearFusion"/> adds a
/// fused linear's prologue and epilogue at its hook points.
/// </summary>
public sealed class LinearTemplate(LinearFusion? fusion = null) : ICpuKernelTemplate
{
    private readonly LinearFusion _fusion = fusion ?? LinearFusion.Plain;

    private const int RowBlock = 16;

    // About this many bytes of weights per column block: a tile that stays in L1/L2 while its rows are reused.
    private const int ColumnBlockBytes = 16 * 1024;

    // About this many bytes of weights (as f32) per column block when a step of prepared x (PairedPanels) spans several
    // row blocks and its x is larger than WideAboveXBytes: every row of x streams past each column block, from L3 or
    // memory once x outgrows L2, so wider blocks cut that traffic (Llama-3.2-1B config f16, prefill of 512 tokens, with
    // the column blocks then widened into a scratch: 1.17-1.38x the 16 KB blocks, 256 KB and 1 MB no better; of 128
    // tokens 1.14-1.22x; SmolLM2-135M config, prefill of 128 tokens, 295 KB of x, 1.09-1.22x). Smaller steps keep the
    // narrow blocks, whose many units share out evenly among the tasks (135M config with wide blocks: 16 rows a step
    // 0.87-0.94x, prefill of 64 tokens, 147 KB of x, 0.73-1.04x).
    private const int WideColumnBlockBytes = 512 * 1024;

    private const int WideAboveXBytes = 256 * 1024;

    private static readonly (int Rows, int Columns)[] Tiles = [(4, 2), (4, 1), (1, 4), (1, 1)];

    // With weights read in pairs the 4-row tiles load x prepared (PairedPanels), which leaves registers for 4 columns:
    // 32 multiply-adds a step from 8 loads of x and 4 of weight pairs.
    private static readonly (int Rows, int Columns)[] PairedTiles = [(4, 4), (4, 2), (4, 1), (1, 4), (1, 1)];

    public void Render(KernelSource kernel)
    {
        var w = kernel.Writer;
        var (x, weights) = (kernel.Instance.Operands[0], kernel.Instance.Operands[1]);
        int k = weights[1].Size, n = weights[0].Size;
        var panels = kernel.Format(1).PairsElements ? new PairedPanels(_fusion) : null;
        // Tiles as wide as the fusion's column groups (SwiGLU pairs), so a tile always holds whole groups.
        var tiles = (panels is null ? Tiles : PairedTiles)
            .Select(t => (t.Rows, Columns: Math.Max(t.Columns, _fusion.ColumnMultiple))).Distinct().ToList();
        bool Prepared(int rows) => panels is not null && rows > 1;
        kernel.Operand("x", 0);
        kernel.Operand("w", 1);
        kernel.Result("y");
        kernel.Constant("K", k);
        kernel.Constant("N", n);
        kernel.Constant("RowBlock", RowBlock);
        kernel.Constant("ColumnBlock", ColumnsPerBlock(ColumnBlockBytes, k));
        if (panels is not null) kernel.Constant("WideColumnBlock", ColumnsPerBlock(WideColumnBlockBytes, k));
        _fusion.Declare(kernel);
        w.Line($"int rows = {KernelSource.Size(x[0])};");
        _fusion.DeclareFloatState(kernel);
        w.Line("int rowBlocks = (rows + RowBlock - 1) / RowBlock;");
        w.Line($"int columnBlock = {(panels is null ? "ColumnBlock" : $"rows > RowBlock && (long)rows * K > {WideAboveXBytes / sizeof(float)} ? WideColumnBlock : ColumnBlock")};");
        panels?.Declare(kernel);
        kernel.Share("rowBlocks * ((N + columnBlock - 1) / columnBlock)", "first", "last");
        using (w.Block("for (int unit = first; unit < last; unit++)"))
        {
            w.Line("int c0 = unit / rowBlocks * columnBlock, c1 = Math.Min(c0 + columnBlock, N);");
            w.Line("int r0 = unit % rowBlocks * RowBlock, r1 = Math.Min(r0 + RowBlock, rows);");
            panels?.Prepare(kernel);
            w.Line("int r = r0;");
            var extra = string.Concat(_fusion.TileParameters().Select(p => ", " + p.Argument));
            foreach (var rowTile in tiles.Select(t => t.Rows).Distinct())
            {
                using (w.Block($"for (; r + {rowTile} <= r1; r += {rowTile})"))
                {
                    w.Line("int c = c0;");
                    var prepared = Prepared(rowTile) ? PairedPanels.TileArguments : "";
                    foreach (var (_, columns) in tiles.Where(t => t.Rows == rowTile))
                        w.Line($"for (; c + {columns} <= c1; c += {columns}) {TileName(rowTile, columns)}({prepared}x + (long)r * K, w + (long)c * K, y + {_fusion.OutputIndex("r", "c")}{extra});");
                }
            }
        }
        foreach (var (rows, columns) in tiles) RenderTile(kernel, rows, columns, k, panels, Prepared(rows));
        panels?.RenderHelpers(kernel, Factor(kernel.Format(1)));
        _fusion.RenderHelpers(kernel, quantized: false);
    }

    /// <summary>
    /// The power of two a tile multiplies into one side of its products and onto its sums, for weights read 2^-e too
    /// small (f16; <see cref="ElementFormat.ScaleExponent"/>), or null.
    /// </summary>
    private static string? Factor(ElementFormat weights) =>
        weights.PairsElements && weights.ScaleExponent != 0 ? ElementFormat.PowerOfTwo(weights.ScaleExponent / 2) : null;

    /// <summary>Columns per block for about <paramref name="bytes"/> of f32 weight rows of length <paramref name="k"/>: 4 to 64, a multiple of 4.</summary>
    private static int ColumnsPerBlock(int bytes, int k) => Math.Clamp(bytes / Math.Max(1, k * sizeof(float)), 4, 64) / 4 * 4;

    private static string TileName(int rows, int columns) => $"Tile{rows}x{columns}";

    /// <summary>
    /// A local function computing a rows × columns block of y with one accumulator per output; with weights read in
    /// pairs, <paramref name="panels"/> renders its vector steps, from x prepared when <paramref name="prepared"/>.
    /// </summary>
    private void RenderTile(KernelSource kernel, int rows, int columns, int k, PairedPanels? panels, bool prepared)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var (xf, wf) = (kernel.Format(0), kernel.Format(1));
        var cells = (from i in Enumerable.Range(0, rows) from j in Enumerable.Range(0, columns) select (i, j)).ToList();
        // A method of its own, not inlined into the kernel: there the JIT kept too few registers for the tile's loop and
        // reloaded spilled constants on every step (SmolLM2-135M config, f32, prefill of 512 tokens: 6-7 % slower).
        w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        var extra = string.Concat(_fusion.TileParameters().Select(p => ", " + p.Parameter));
        var preparedX = prepared ? PairedPanels.TileParameters : "";
        using (w.Block($"static void {TileName(rows, columns)}({preparedX}{xf.ElementType}* x, {wf.ElementType}* w, float* y{extra})"))
        {
            foreach (var (i, j) in cells) w.Line($"{d.Vector} acc{i}_{j} = {d.Zero};");
            // f16 weights go two vectors of k a step, loaded as one vector of pairs (ElementFormat.PairsElements): the
            // widening, not DRAM, had bounded their decode. x is taken apart into even and odd elements to match, in
            // every tile shape, so a lane sums the same products in the same order however many rows share the step.
            var paired = panels is not null;
            // Weights read 2^-e too small (f16) are corrected by half the exponent inside the products, on x (with the
            // norm weight, if any: PairedPanels), and half on the sums. Powers of two scale every product and rounding
            // exactly, so the result is what corrected weights would give; the products stay far from f32's subnormals
            // (|x·w| would have to be below 2^-70) and x from overflow (|x| above 2^72).
            var factor = Factor(wf);
            var step = paired ? 2 * d.Lanes : d.Lanes;
            w.Line("int k = 0;");
            using (w.Block($"for (; k + {step} <= K; k += {step})"))
            {
                if (prepared)
                {
                    PairedPanels.RenderStep(kernel, rows, columns);
                }
                else
                {
                    _fusion.BeginTileStep(w, d, vector: true, factor, paired);
                    // One row streams its weights from memory (decode): the hardware prefetcher alone left the 1B
                    // config's f16 decode at about 0.7 of the machine's read speed; asking for the next tile's lines a
                    // tile ahead brought it near 0.9 (2 threads, every matrix once per step).
                    if (rows == 1)
                        for (var j = 0; j < columns; j++) w.Line($"Sse.Prefetch1(w + {columns + j} * K + k);");
                    if (panels is not null) panels.RenderUnpreparedStep(kernel, rows, columns, factor);
                    else RenderStep(kernel, rows, columns);
                }
            }
            foreach (var (i, j) in cells) w.Line($"float sum{i}_{j} = {d.Sum($"acc{i}_{j}")}{(factor is null ? "" : $" * {factor}")};");
            if (k % step != 0)
            {
                using (w.Block("for (; k < K; k++)"))
                {
                    _fusion.BeginTileStep(w, d, vector: false);
                    // The norm weight on the side the vector steps put it (LinearFusion.Scale).
                    for (var j = 0; j < columns; j++) w.Line($"float w{j} = {_fusion.Scale(wf.LoadScalar("w", $"{j} * K + k"), normed: !paired)};");
                    for (var i = 0; i < rows; i++)
                    {
                        w.Line($"float x{i} = {_fusion.Scale(xf.LoadScalar("x", $"{i} * K + k"), normed: paired)};");
                        for (var j = 0; j < columns; j++) w.Line($"sum{i}_{j} = MathF.FusedMultiplyAdd(x{i}, w{j}, sum{i}_{j});");
                    }
                }
            }
            var group = _fusion.ColumnMultiple;
            foreach (var (i, j) in cells.Where(cell => cell.j % group == 0))
                _fusion.Store(w, $"{i}", $"{j}", [.. Enumerable.Range(j, group).Select(c => $"sum{i}_{c}")], _fusion.TileRowScale(i));
        }
    }

    /// <summary>One vector of k: each weight and x vector loaded once for the tile's products.</summary>
    private void RenderStep(KernelSource kernel, int rows, int columns)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var (xf, wf) = (kernel.Format(0), kernel.Format(1));
        for (var j = 0; j < columns; j++)
            w.Line($"{d.Vector} w{j} = {_fusion.Scale(wf.LoadVector(d, "w", $"{j} * K + k"), normed: true)};");
        for (var i = 0; i < rows; i++)
        {
            w.Line($"{d.Vector} x{i} = {xf.LoadVector(d, "x", $"{i} * K + k")};");
            for (var j = 0; j < columns; j++) w.Line($"acc{i}_{j} = {d.Fma($"x{i}", $"w{j}", $"acc{i}_{j}")};");
        }
    }
}
