namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// How the linear kernels split <c>y[r, N] = x[r, K]·w[N, K]ᵀ</c>: a workgroup takes a block of output columns of
/// one row (y covers the rows), a run of <see cref="Lanes"/> threads per column strides along K reading weight words
/// (coalesced across the run) and a shared-memory tree adds the run's partial sums. Decode is bandwidth-bound: each
/// weight word is read once per row by one thread.
/// </summary>
public sealed record MatVecLayout(int Lanes, int Columns)
{
    public const int Threads = 256;

    /// <summary>
    /// The layout for <paramref name="words"/> weight words per column: a warp-sized run of 32 lanes per column (8 for
    /// rows too short to keep 32 busy), so a workgroup covers 8 or more columns and its per-row prologue (RMSNorm,
    /// int8 activation rounding) is shared by all of them.
    /// </summary>
    public static MatVecLayout For(long words)
    {
        var lanes = words >= 64 ? 32 : 8;
        return new MatVecLayout(lanes, Threads / lanes);
    }

    /// <summary>Workgroups over the result's columns and rows, with the shared tree after <paramref name="shared"/>.</summary>
    public GpuKernelShape Shape(KernelInstance instance, IEnumerable<SharedArray> shared) =>
        new(Threads, GpuKernels.GroupsFor(instance.Result[1].Size, Columns), instance.Result[0],
            [.. shared, new SharedArray("float", "partial", Threads)]);

    /// <summary>Declares <c>r</c>, <c>lane</c> and <c>c</c> (this thread's row, lane in its run, and output column).</summary>
    public void Begin(GpuKernelSource kernel)
    {
        var d = kernel.Dialect;
        kernel.Writer.Line($"int r = {d.GroupY};");
        kernel.Writer.Line($"int lane = {d.LocalId} & {Lanes - 1};");
        kernel.Writer.Line($"int c = {d.GroupX} * {Columns} + {d.LocalId} / {Lanes};");
    }
}
