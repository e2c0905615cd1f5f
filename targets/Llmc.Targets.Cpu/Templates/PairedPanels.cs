namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// The operands of the float linear's many-row tiles for weights read in pairs (<see cref="ElementFormat.PairsElements"/>),
/// prepared once instead of in every tile: x rows taken apart into even and odd elements once a row block per task
/// (<c>PairRows</c>), and a column block's weights widened to f32 once while the row blocks stream past it
/// (<c>WidenPairs</c>), times the norm weight and the power of two the one-row tiles multiply in. A vector step of
/// 2 × Lanes elements is stored as its even elements then its odd ones, so a prepared tile does the one-row tiles'
/// fused multiply-adds on the same values in the same order, from plain loads: batching still cannot change a row.
/// The elements past the last whole step are not prepared; the tiles' scalar tail reads them from x and w.
/// <para>In register, a 4-row tile spent two permutes of x per row and the whole widening per weight vector every
/// step, against 16 multiply-adds; prepared, it does 32 a step from 16 loads.</para>
/// </summary>
public sealed class PairedPanels(LinearFusion fusion)
{
    /// <summary>Declares the scratch, after <c>rows</c>, <c>rowBlocks</c> and <c>columnBlock</c>.</summary>
    public void Declare(KernelSource kernel)
    {
        var w = kernel.Writer;
        // The thread's scratch, not the stack: a prefill chunk's rows times K (2,048 rows of 8,192 are 64 MB) would not
        // fit a thread's stack, and only many-row steps need it.
        w.Line("float* pairedX = rows >= 4 ? ThreadScratch((long)rows * K + (long)columnBlock * K) : null;");
        w.Line("float* wide = pairedX + (long)rows * K;");
        w.Line("bool* pairedBlocks = stackalloc bool[rowBlocks];");
        w.Line("for (int b = 0; b < rowBlocks; b++) pairedBlocks[b] = false;");
        w.Line("int widened = -1;");
    }

    /// <summary>Before a unit's 4-row tiles (rows <c>r0..r1</c>, columns <c>c0..c1</c>): prepares what this task has not yet.</summary>
    public void Prepare(KernelSource kernel)
    {
        var w = kernel.Writer;
        using (w.Block("if (r0 + 4 <= r1)"))
        {
            w.Line("if (!pairedBlocks[r0 / RowBlock]) { PairRows(x + (long)r0 * K, pairedX + (long)r0 * K, r1 - r0); pairedBlocks[r0 / RowBlock] = true; }");
            w.Line($"if (widened != c0) {{ WidenPairs(w + (long)c0 * K, c1 - c0, wide{(fusion.ScalesWeights ? ", norm" : "")}); widened = c0; }}");
        }
    }

    /// <summary>The prepared operands of a tile at rows r.. and columns c.. of the unit, before its x and w.</summary>
    public static string TileArguments => "pairedX + (long)r * K, wide + (long)(c - c0) * K, ";

    public static string TileParameters => "float* xp, float* wp, ";

    /// <summary>A prepared tile's vector step: the even then the odd products of each row and column.</summary>
    public static void RenderStep(KernelSource kernel, int rows, int columns)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        for (var j = 0; j < columns; j++)
            w.Line($"{d.Vector} w{j}Even = {d.Load($"wp + {j} * K + k")}, w{j}Odd = {d.Load($"wp + {j} * K + k + {d.Lanes}")};");
        RenderProducts(kernel, rows, columns, (i, odd) => d.Load($"xp + {i} * K + k{(odd ? $" + {d.Lanes}" : "")}"));
    }

    /// <summary>
    /// The order every tile over weights in pairs sums in, prepared or not: per row its even elements' products with
    /// each column's <c>w{j}Even</c>, then its odd ones' with <c>w{j}Odd</c>, into <c>acc{i}_{j}</c>;
    /// <paramref name="xPart"/> gives row i's even or odd vector, after <paramref name="beforeRow"/> for that row.
    /// </summary>
    public static void RenderProducts(KernelSource kernel, int rows, int columns, Func<int, bool, string> xPart, Action<int>? beforeRow = null)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        for (var i = 0; i < rows; i++)
        {
            beforeRow?.Invoke(i);
            foreach (var (part, odd) in new[] { ("Even", false), ("Odd", true) })
            {
                w.Line($"{d.Vector} x{i}{part} = {xPart(i, odd)};");
                for (var j = 0; j < columns; j++) w.Line($"acc{i}_{j} = {d.Fma($"x{i}{part}", $"w{j}{part}", $"acc{i}_{j}")};");
            }
        }
    }

    /// <summary>
    /// <c>PairRows</c> and <c>WidenPairs</c>; <paramref name="factor"/> is the power of two the weights carry when no
    /// norm weight takes it (see <see cref="LinearTemplate"/>).
    /// </summary>
    public void RenderHelpers(KernelSource kernel, string? factor)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var (xf, wf) = (kernel.Format(0), kernel.Format(1));
        var step = 2 * d.Lanes;
        using (w.Block($"static void PairRows({xf.ElementType}* from, float* to, int count)"))
        using (w.Block("for (long row = 0; row < (long)count * K; row += K)"))
        using (w.Block($"for (int k = 0; k + {step} <= K; k += {step})"))
        {
            w.Line($"{d.Vector} low = {xf.LoadVector(d, "from", "row + k")}, high = {xf.LoadVector(d, "from", $"row + k + {d.Lanes}")};");
            w.Line(d.Store(d.LanesOfPair("low", "high", odd: false), "to + row + k"));
            w.Line(d.Store(d.LanesOfPair("low", "high", odd: true), $"to + row + k + {d.Lanes}"));
        }
        var times = factor is null || fusion.ScalesWeights ? "" : $" * {d.Splat(factor)}";
        using (w.Block($"static void WidenPairs({wf.ElementType}* w, int columns, float* to{(fusion.ScalesWeights ? ", float* norm" : "")})"))
        using (w.Block($"for (int k = 0; k + {step} <= K; k += {step})"))
        {
            fusion.BeginTileStep(w, d, vector: true, factor, paired: true);
            using (w.Block("for (int j = 0; j < columns; j++)"))
            {
                w.Line($"var pairs = {wf.LoadPairs(d, "w", "(long)j * K + k")};");
                w.Line(d.Store(fusion.Scale(wf.EvenScaled(d, "pairs") + times, weight: true, "Even"), "to + (long)j * K + k"));
                w.Line(d.Store(fusion.Scale(wf.OddScaled(d, "pairs") + times, weight: true, "Odd"), $"to + (long)j * K + k + {d.Lanes}"));
            }
        }
    }
}
