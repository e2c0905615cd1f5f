namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// The float linear's tiles over weights read in pairs (<see cref="ElementFormat.PairsElements"/>): a vector step of
/// 2 × Lanes elements loads one vector of weight pairs and widens it in registers into its even and odd elements, and
/// takes x apart to match. x is the side that carries the norm weight and the power of two (<see cref="LinearFusion.Scale"/>),
/// so the many-row tiles read x prepared once per row block per task (<c>PairRows</c>: taken apart, times the norm
/// weight and the power of two, a step's even elements then its odd ones), and the one-row tiles compute the same values
/// in registers: every tile does the same multiply-adds on the same values in the same order, and batching cannot
/// change a row. The elements past the last whole step are not prepared; the tiles' scalar tail reads them from x and w.
/// <para>Why x and not the weights: a 4 × 4 tile whose operands are all loaded from memory, even from L1, ran at about
/// 0.57 of the cores' multiply-add peak on this Zen 5 (16 loads a step for 32 multiply-adds); one that loads half as many
/// weight vectors and widens them (a shift and a mask each) ran at about 0.9 (a copy of the tile loop, 4 rows and 4
/// columns of K = 256). The norm on the weights would cost 8 more multiplies a step there, on x nothing.</para>
/// </summary>
public sealed class PairedPanels(LinearFusion fusion)
{
    /// <summary>Declares the scratch, after <c>rows</c> and <c>rowBlocks</c>.</summary>
    public void Declare(KernelSource kernel)
    {
        var w = kernel.Writer;
        // The thread's scratch, not the stack: a prefill chunk's rows times K (2,048 rows of 8,192 are 64 MB) would not
        // fit a thread's stack, and only many-row steps need it.
        w.Line("float* pairedX = rows >= 4 ? ThreadScratch((long)rows * K) : null;");
        w.Line("bool* pairedBlocks = stackalloc bool[rowBlocks];");
        w.Line("for (int b = 0; b < rowBlocks; b++) pairedBlocks[b] = false;");
    }

    /// <summary>Before a unit's 4-row tiles (rows <c>r0..r1</c>): prepares its row block's x if this task has not yet.</summary>
    public void Prepare(KernelSource kernel)
    {
        var norm = fusion.Normalizes ? ", norm" : "";
        kernel.Writer.Line($"if (r0 + 4 <= r1 && !pairedBlocks[r0 / RowBlock]) {{ PairRows(x + (long)r0 * K, pairedX + (long)r0 * K, r1 - r0{norm}); pairedBlocks[r0 / RowBlock] = true; }}");
    }

    /// <summary>The prepared x of a tile at rows r.. of the unit, before its x and w.</summary>
    public static string TileArguments => "pairedX + (long)r * K, ";

    public static string TileParameters => "float* xp, ";

    /// <summary>A prepared tile's vector step: the weights widened in registers, x loaded as prepared.</summary>
    public static void RenderStep(KernelSource kernel, int rows, int columns)
    {
        var d = kernel.Dialect;
        RenderWeights(kernel, columns);
        RenderProducts(kernel, rows, columns, (i, odd) => d.Load($"xp + {i} * K + k{(odd ? $" + {d.Lanes}" : "")}"));
    }

    /// <summary>
    /// A one-row (or unprepared) tile's vector step: the weights widened in registers, x taken apart and scaled as
    /// <c>PairRows</c> does, after <see cref="LinearFusion.BeginTileStep"/> has declared the norm weights of the step.
    /// </summary>
    public void RenderUnpreparedStep(KernelSource kernel, int rows, int columns, string? factor)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var xf = kernel.Format(0);
        RenderWeights(kernel, columns);
        RenderProducts(kernel, rows, columns, (i, odd) => ScaledX(d, d.LanesOfPair($"x{i}Low", $"x{i}High", odd), odd, factor), beforeRow: i =>
            w.Line($"{d.Vector} x{i}Low = {xf.LoadVector(d, "x", $"{i} * K + k")}, x{i}High = {xf.LoadVector(d, "x", $"{i} * K + k + {d.Lanes}")};"));
    }

    /// <summary>
    /// x's even or odd elements of a step as the products see them: times the step's norm weights (which carry the power
    /// of two) or, without a norm, times <paramref name="factor"/>.
    /// </summary>
    private string ScaledX(CpuDialect d, string elements, bool odd, string? factor) =>
        fusion.Normalizes ? fusion.Scale(elements, normed: true, odd ? "Odd" : "Even")
        : factor is null ? elements : $"{elements} * {d.Splat(factor)}";

    /// <summary>Each column's weight pairs of the step, widened into <c>w{j}Even</c> and <c>w{j}Odd</c> (2^-e too small).</summary>
    private static void RenderWeights(KernelSource kernel, int columns)
    {
        var (w, d, wf) = (kernel.Writer, kernel.Dialect, kernel.Format(1));
        for (var j = 0; j < columns; j++)
        {
            w.Line($"var pairs{j} = {wf.LoadPairs(d, "w", $"{j} * K + k")};");
            w.Line($"{d.Vector} w{j}Even = {wf.EvenScaled(d, $"pairs{j}")}, w{j}Odd = {wf.OddScaled(d, $"pairs{j}")};");
        }
    }

    /// <summary>
    /// The order every tile over weight pairs sums in: per row its even elements' products with each column's
    /// <c>w{j}Even</c>, then its odd ones' with <c>w{j}Odd</c>, into <c>acc{i}_{j}</c>; <paramref name="xPart"/> gives
    /// row i's even or odd vector, after <paramref name="beforeRow"/> for that row.
    /// </summary>
    private static void RenderProducts(KernelSource kernel, int rows, int columns, Func<int, bool, string> xPart, Action<int>? beforeRow = null)
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
    /// <c>PairRows</c>: <c>count</c> rows of x taken apart and scaled exactly as a one-row tile's step does it;
    /// <paramref name="factor"/> is the power of two the products carry (see <see cref="LinearTemplate"/>).
    /// </summary>
    public void RenderHelpers(KernelSource kernel, string? factor)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var xf = kernel.Format(0);
        var step = 2 * d.Lanes;
        using (w.Block($"static void PairRows({xf.ElementType}* from, float* to, int count{(fusion.Normalizes ? ", float* norm" : "")})"))
        using (w.Block($"for (int k = 0; k + {step} <= K; k += {step})"))
        {
            fusion.BeginTileStep(w, d, vector: true, factor, paired: true);
            using (w.Block("for (long row = 0; row < (long)count * K; row += K)"))
            {
                w.Line($"{d.Vector} low = {xf.LoadVector(d, "from", "row + k")}, high = {xf.LoadVector(d, "from", $"row + k + {d.Lanes}")};");
                w.Line(d.Store(ScaledX(d, d.LanesOfPair("low", "high", odd: false), odd: false, factor), "to + row + k"));
                w.Line(d.Store(ScaledX(d, d.LanesOfPair("low", "high", odd: true), odd: true, factor), $"to + row + k + {d.Lanes}"));
            }
        }
    }
}
