using System.Globalization;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>Scores(q, rows, factors, to)</c>: one query vector's attention scores against a sub-block of one vector's lane
/// count of key rows, written as one vector (lane i the score of row i, times factor i). Each row's products are
/// summed into a vector of partial sums by fused multiply-adds along head_dim; the sub-block's partial-sum vectors are
/// then summed by <see cref="LaneTotals"/>' transposing tree, each row's total in its own lane, the tree's levels
/// interleaved with the rows' multiply-adds. Every lane takes the same sums in the same order, so a score does not
/// depend on its place in the sub-block, on which rows share it or on which query vectors share the tile, and batching
/// cannot change it. A head_dim past whole vectors adds the rest element by element.
/// </summary>
internal sealed class SubBlockScores(KernelSource kernel, int headDim)
{
    private CpuDialect D => kernel.Dialect;

    private int Chunks => headDim / D.Lanes;

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Render()
    {
        var (w, d) = (kernel.Writer, D);
        using (w.Block($"static void Scores(float* q, float** cacheRows, {d.Vector} factors, float* to)"))
        {
            w.Line($"{d.Vector} sum = {(Chunks == 0 ? d.Zero : Tree(w, Levels, 0))};");
            if (headDim % d.Lanes != 0)
            {
                w.Line($"float* tails = stackalloc float[{Int(d.Lanes)}];");
                using (w.Block($"for (int r = 0; r < {Int(d.Lanes)}; r++)"))
                {
                    w.Line("float tail = 0f;");
                    w.Line($"for (int i = {Int(Chunks * d.Lanes)}; i < HeadDim; i++) tail += q[i] * cacheRows[r][i];");
                    w.Line("tails[r] = tail;");
                }
                w.Line($"sum += {d.Load("tails")};");
            }
            w.Line(d.Store("sum * factors", "to"));
        }
    }

    private int Levels => LaneTotals.Levels(D);

    /// <summary>
    /// Declares the vector summing rows [index·2^level, (index + 1)·2^level) and returns its name: at level 0 a row's
    /// partial sums, above it two halves combined (each row's sums still spread over lanes until the top level).
    /// </summary>
    private string Tree(Emit.SourceWriter w, int level, int index)
    {
        var d = D;
        var name = $"s{Int(level)}_{Int(index)}";
        if (level == 0)
        {
            w.Line($"{d.Vector} {name} = {d.Zero};");
            w.Line($"float* row{Int(index)} = cacheRows[{Int(index)}];");
            for (var c = 0; c < Chunks; c++)
                w.Line($"{name} = {d.Fma(d.Load($"q + {Int(c * d.Lanes)}"), d.Load($"row{Int(index)} + {Int(c * d.Lanes)}"), name)};");
            return name;
        }
        var (a, b) = (Tree(w, level - 1, 2 * index), Tree(w, level - 1, 2 * index + 1));
        w.Line($"{d.Vector} {name} = {LaneTotals.Combine(d, level, a, b)};");
        return name;
    }
}
