namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// How the linear kernels split <c>y[r, N] = x[r, K]·w[N, K]ᵀ</c>: a workgroup takes a block of <see cref="Columns"/>
/// output columns of up to <see cref="Rows"/> consecutive rows, a run of <see cref="Lanes"/> threads per column
/// strides along K reading weight words (coalesced across the run) and a shared-memory tree adds the run's partial
/// sums. Decode (one row) is bandwidth-bound: each weight word is read once by one thread. A prefill step reads each
/// weight word once per <see cref="Rows"/> rows; the grid's y is the rows ÷ <see cref="Rows"/>, rounded up.
/// </summary>
public sealed record MatVecLayout(int Lanes, int Columns, int Rows)
{
    public const int Threads = 256;

    /// <summary>The most rows a tile of the kernel every step can run takes: lean for decode, enough to share weights across a few batched rows.</summary>
    public const int AnyStepRows = 4;

    /// <summary>
    /// The accumulators a thread of the many-rows variant (prefill chunks, large batches) keeps: its tile takes this
    /// many rows ÷ the weight rows per output column (up to 64 rows of a plain linear, 32 of a SwiGLU pair; fewer where
    /// a quantized tile's staged codes would not fit), so a step of up to that many rows reads each weight word once,
    /// and the registers stay within what a GPU gives 256 threads.
    /// </summary>
    public const int ManyRowsAccumulators = 64;

    /// <summary>
    /// The layout for <paramref name="words"/> weight words per column whose rows each need
    /// <paramref name="sharedBytesPerRow"/> bytes of shared memory: a warp-sized run of 32 lanes per column (8 for rows
    /// too short to keep 32 busy), so a workgroup covers 8 or more columns and shares its per-row prologue (RMSNorm,
    /// int8 activation rounding) among them; as many rows (up to <paramref name="maxRows"/>) as the shared memory holds.
    /// How many rows a tile takes does not change how any row is computed.
    /// </summary>
    public static MatVecLayout For(long words, int sharedBytesPerRow, int maxRows)
    {
        var lanes = words >= 64 ? 32 : 8;
        var fit = sharedBytesPerRow == 0 ? maxRows : (GpuKernels.SharedBytesLimit - 4 * Threads) / sharedBytesPerRow;
        return new MatVecLayout(lanes, Threads / lanes, Math.Clamp(fit, 1, maxRows));
    }

    /// <summary>Workgroups over the result's columns and rows, with the shared tree after <paramref name="shared"/>.</summary>
    public GpuKernelShape Shape(KernelInstance instance, IEnumerable<SharedArray> shared) =>
        new(Threads, GpuKernels.GroupsFor(instance.Result[1].Size, Columns), instance.Result[0],
            [.. shared, new SharedArray("float", "partial", Threads)], Rows);

    /// <summary>
    /// Declares <c>r0</c> (the first row), <c>valid</c> (how many of the <see cref="Rows"/> rows exist), <c>lane</c>
    /// (this thread's lane in its run) and <c>c</c> (its output column).
    /// </summary>
    public void Begin(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"int r0 = {d.GroupY} * {Rows};");
        w.Line($"int valid = {d.Min(Rows.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{kernel.Size(kernel.Instance.Result[0])} - r0")};");
        w.Line($"int lane = {d.LocalId} & {Lanes - 1};");
        w.Line($"int c = {d.GroupX} * {Columns} + {d.LocalId} / {Lanes};");
    }

    /// <summary>
    /// Runs <paramref name="body"/> for each row m of the tile that exists: a constant-trip loop with the dialect's
    /// unroll hint, so the accumulators it indexes stay in registers (NVRTC left a SwiGLU pair's 32-row loop rolled,
    /// its accumulators in local memory, until asked).
    /// </summary>
    public void ForRows(GpuKernelSource kernel, Action body)
    {
        var w = kernel.Writer;
        if (kernel.Dialect.UnrollHint is { } hint) w.Line(hint);
        using (w.Block($"for (int m = 0; m < {Rows}; m++)"))
        using (w.Block("if (m < valid)"))
            body();
    }
}
