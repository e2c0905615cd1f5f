using System.Globalization;
using Llmc.Ir.Ops;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// The hook points through which the linear templates (float and quantized) render a fused linear
/// (<see cref="FusedLinearOp"/>): the RMSNorm prologue and the residual, bias or SwiGLU epilogue. The templates keep their
/// loops; a fusion adds operands, changes what a row of x means and how a product is stored.
/// <para>RMSNorm prologue, rendered by <see cref="RmsNormRendering"/> with the unfused kernel's arithmetic. The float
/// path computes 1/rms of every row once per task (O(rows·K), against its share of the O(rows·N·K) product), multiplies
/// the norm weight into one side of the products (<see cref="Scale"/>), and its finished sums by 1/rms, so x is never
/// rewritten. The quantized path normalizes each row it rounds to int8 into a scratch row, exactly as the
/// <c>rms_norm</c> kernel would have written it, so fused and unfused quantized engines round the same activations.</para>
/// </summary>
public sealed class LinearFusion(LinearPrologue prologue, LinearEpilogue epilogue)
{
    public static LinearFusion Plain { get; } = new(LinearPrologue.None, LinearEpilogue.None);

    /// <summary>An RMSNorm prologue: products carry the norm weight on one side (<see cref="Scale"/>) and 1/rms on the sums.</summary>
    public bool Normalizes => prologue == LinearPrologue.RmsNorm;

    /// <summary>Consecutive weight rows stored together: SwiGLU combines each gate row with the up row after it.</summary>
    public int ColumnMultiple => Gated ? 2 : 1;

    /// <summary>SwiGLU or GeGLU: each output column from a gate row and the up row after it.</summary>
    private bool Gated => epilogue is LinearEpilogue.SwiGlu or LinearEpilogue.GeGlu;

    /// <summary>Declares the fusion's operands and constants; the templates call it after x, w, y and N.</summary>
    public void Declare(KernelSource kernel)
    {
        var op = Ir.OpRegistry.Get(kernel.Instance.Template) as FusedLinearOp;
        if (Normalizes)
        {
            kernel.Operand("norm", op!.NormOperand);
            kernel.Writer.Line($"const double Eps = {kernel.Instance.Attrs.GetDouble("eps").ToString("R", CultureInfo.InvariantCulture)};");
        }
        if (epilogue == LinearEpilogue.Residual) kernel.Operand("residual", op!.EpilogueOperand);
        if (epilogue == LinearEpilogue.Bias) kernel.Operand("bias", op!.EpilogueOperand);
        if (Gated) kernel.Writer.Line("const int Half = N / 2;");
    }

    /// <summary>Where product (row, column) lands in y (a SwiGLU pair lands at its gate column / 2).</summary>
    public string OutputIndex(string row, string column) =>
        Gated ? $"(long)({row}) * Half + ({column}) / 2" : $"(long)({row}) * N + ({column})";

    /// <summary>
    /// Statements storing products <paramref name="values"/> (columns column .. column + ColumnMultiple - 1 of a
    /// row) through y, both relative to the pointers in scope (the bias pointer is offset by columns like y, the
    /// residual by rows and columns); <paramref name="rowScale"/> multiplies them first.
    /// </summary>
    public void Store(SourceWriter w, string row, string column, IReadOnlyList<string> values, string? rowScale)
    {
        var scaled = values.Select(v => rowScale is null ? v : $"{v} * {rowScale}").ToList();
        var at = OutputIndex(row, column);
        switch (epilogue)
        {
            case LinearEpilogue.Residual:
                w.Line($"y[{at}] = {scaled[0]} + residual[{at}];");
                break;
            case LinearEpilogue.Bias:
                w.Line($"y[{at}] = {scaled[0]} + bias[{column}];");
                break;
            case LinearEpilogue.SwiGlu:
                using (w.Block(""))
                {
                    w.Line($"float gate = {scaled[0]}, up = {scaled[1]};");
                    w.Line($"y[{at}] = gate / (1f + MathF.Exp(-gate)) * up;");
                }
                break;
            case LinearEpilogue.GeGlu:
                using (w.Block(""))
                {
                    w.Line($"float gate = {scaled[0]}, up = {scaled[1]};");
                    w.Line($"y[{at}] = {((ElementwiseTemplate)CpuTemplates.Default["gelu_tanh"]).Scalar("gate", "gate")} * up;");
                }
                break;
            default:
                w.Line($"y[{at}] = {scaled[0]};");
                break;
        }
    }

    // ---- the float template's hooks ----

    /// <summary>Per-task state of the float path, after <c>rows</c>: 1/rms of every row.</summary>
    public void DeclareFloatState(KernelSource kernel)
    {
        if (!Normalizes) return;
        // Prefill chunks are at most a few thousand rows, so the table fits the stack.
        kernel.Writer.Line("float* inverseRms = stackalloc float[rows];");
        kernel.Writer.Line("for (int rr = 0; rr < rows; rr++) inverseRms[rr] = InverseRms(x + (long)rr * K);");
    }

    /// <summary>Extra tile parameters and the arguments passed at rows r.., columns c.. (pointers offset like y).</summary>
    public IEnumerable<(string Parameter, string Argument)> TileParameters()
    {
        if (Normalizes)
        {
            yield return ("float* norm", "norm");
            yield return ("float* inverseRms", "inverseRms + r");
        }
        if (epilogue == LinearEpilogue.Residual) yield return ("float* residual", "residual + (long)r * N + c");
        if (epilogue == LinearEpilogue.Bias) yield return ("float* bias", "bias + c");
    }

    /// <summary>
    /// Declares what a k step of a tile needs before it loads x: the norm weight at k, times
    /// <paramref name="weightFactor"/> when given (a power of two a kernel folds into the normed side; exact). A
    /// <paramref name="paired"/> step covers two vectors of k, its weights taken apart into even and odd elements
    /// (<see cref="ElementFormat.PairsElements"/>): the norm weights are taken apart the same way, as <c>normKEven</c>
    /// and <c>normKOdd</c>.
    /// </summary>
    public void BeginTileStep(SourceWriter w, CpuDialect d, bool vector, string? weightFactor = null, bool paired = false)
    {
        if (!Normalizes) return;
        if (!vector)
        {
            w.Line("float normK = norm[k];");
            return;
        }
        var times = weightFactor is null ? "" : $" * {d.Splat(weightFactor)}";
        if (!paired)
        {
            w.Line($"{d.Vector} normK = {d.Load("norm + k")}{times};");
            return;
        }
        w.Line($"{d.Vector} normLow = {d.Load("norm + k")}{times}, normHigh = {d.Load($"norm + k + {d.Lanes}")}{times};");
        w.Line($"{d.Vector} normKEven = {d.LanesOfPair("normLow", "normHigh", odd: false)}, normKOdd = {d.LanesOfPair("normLow", "normHigh", odd: true)};");
    }

    /// <summary>
    /// A load of x or w as the product sees it: times the norm weight (of the <paramref name="part"/> of a paired step:
    /// "Even" or "Odd") when it is the side that carries it (<paramref name="normed"/>). The float template puts the norm
    /// on the weights, and on x for weights read in pairs (<see cref="PairedPanels"/>), the same side in every tile
    /// shape: which tile computes a row depends on how many rows share the step, and x·(w·g) and (x·g)·w round
    /// differently, so scaling the side with fewer loads would let batching change a row's result. The weight side is
    /// the cheaper one for the many-row tiles over weights as they are stored; over pairs, x is prepared once per task.
    /// </summary>
    public string Scale(string load, bool normed, string part = "") => Normalizes && normed ? $"{load} * normK{part}" : load;

    /// <summary>The factor of tile row <paramref name="row"/>'s products, if any.</summary>
    public string? TileRowScale(int row) => Normalizes ? $"inverseRms[{row}]" : null;

    // ---- the quantized template's hooks ----

    /// <summary>
    /// Per-task state of the quantized path, after <c>rows</c> and <c>PanelRows</c>: a normalized row; gated, the
    /// staged products of each panel row (<see cref="StageGated"/>): gates, then ups, of up to
    /// <c>StagedOutputs</c> output columns, room for a vector's worth less one pending plus a block's worth of
    /// columns, rounded up to whole vectors.
    /// </summary>
    public void DeclareQuantizedState(KernelSource kernel)
    {
        if (Normalizes) kernel.Writer.Line("float* normalized = stackalloc float[K];");
        if (!Gated) return;
        var lanes = kernel.Dialect.Lanes;
        var blockOutputs = QuantizedLinearTemplate.MaxBlockColumns / ColumnMultiple;
        kernel.Constant("StagedOutputs", (lanes - 1 + blockOutputs + lanes - 1) / lanes * lanes);
        kernel.Writer.Line("float* staged = stackalloc float[Math.Min(rows, PanelRows) * 2 * StagedOutputs];");
    }

    /// <summary>Gated: the panel's staged outputs start at output column <paramref name="first"/>.</summary>
    public void BeginStagedGated(SourceWriter w, string first)
    {
        if (Gated) w.Line($"int stagedFrom = {first};");
    }

    /// <summary>
    /// Gated, quantized: stages the gate and up products of weight columns <paramref name="column"/> and the one after
    /// it for panel row <paramref name="panelRow"/>; <see cref="StoreStagedGated"/> applies the activation to whole
    /// vectors of them. A scalar <c>MathF.Exp</c> per output was 4.5 % of the samples of the SmolLM2-135M config's 16-row
    /// decode step; staged, its SwiGLU linear took 7.0-7.1 instead of 8.2-8.5 ms of the step.
    /// </summary>
    public void StageGated(SourceWriter w, string panelRow, string column, string gate, string up)
    {
        w.Line($"float* stagedRow = staged + ({panelRow}) * 2 * StagedOutputs + ({column}) / 2 - stagedFrom;");
        w.Line($"stagedRow[0] = {gate};");
        w.Line($"stagedRow[StagedOutputs] = {up};");
    }

    /// <summary>
    /// Gated, after a block of columns ending at <paramref name="blockEnd"/> has been through every pass of the panel:
    /// once a vector's worth is staged, or at the task's <paramref name="end"/>, stores them all. Every output goes through
    /// the same lane-wise vector expression wherever it falls in a vector, so a row's outputs do not depend on how the
    /// step's columns and rows are split.
    /// </summary>
    public void StoreStagedGated(SourceWriter w, CpuDialect d, string blockEnd, string end)
    {
        if (!Gated) return;
        w.Line($"int staging = {blockEnd} / 2 - stagedFrom;");
        using (w.Block($"if (staging >= {d.Lanes} || {blockEnd} == {end})"))
        {
            w.Line("StoreGated(staged, panelRows, staging, y + (long)p0 * Half + stagedFrom);");
            w.Line($"stagedFrom = {blockEnd} / 2;");
        }
    }

    /// <summary>The f32 row the quantized path rounds to int8 for row <paramref name="row"/>.</summary>
    public string QuantizedRow(string row) =>
        Normalizes ? $"Normalize(x + (long)({row}) * K, norm, normalized)" : $"x + (long)({row}) * K";

    /// <summary>
    /// <c>StoreGated(staged, panelRows, count, y)</c>: each panel row's first <c>count</c> staged outputs through the
    /// activation times their up products into y (a row of Half apart); a last partial vector is computed whole (the
    /// lanes past count hold earlier or unset products, never stored) and its outputs copied.
    /// </summary>
    private void RenderStoreGated(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var activation = (ElementwiseTemplate)CpuTemplates.Default[epilogue == LinearEpilogue.SwiGlu ? "silu" : "gelu_tanh"];
        using (w.Block("static void StoreGated(float* staged, int panelRows, int count, float* y)"))
        using (w.Block("for (int r = 0; r < panelRows; r++)"))
        {
            w.Line("float* gates = staged + r * 2 * StagedOutputs, ups = gates + StagedOutputs, to = y + (long)r * Half;");
            using (w.Block($"for (int o = 0; o < count; o += {d.Lanes})"))
            {
                w.Line($"{d.Vector} gate = {d.Load("gates + o")};");
                w.Line($"{d.Vector} products = {activation.Vector(d, "gate", "gate")} * {d.Load("ups + o")};");
                w.Line($"if (o + {d.Lanes} <= count) {{ {d.Store("products", "to + o")} continue; }}");
                w.Line(d.Store("products", "gates + o"));
                w.Line("for (int i = o; i < count; i++) to[i] = gates[i];");
            }
        }
    }

    /// <summary>Helper functions the hooks call, rendered after the template's own.</summary>
    public void RenderHelpers(KernelSource kernel, bool quantized)
    {
        if (Gated && quantized) RenderStoreGated(kernel);
        if (!Normalizes) return;
        var (w, f32) = (kernel.Writer, ElementFormat.For(Ir.DType.F32));
        var k = kernel.Instance.Operands[FusedLinearOp.WeightOperand][1].Size;
        if (quantized)
        {
            using (w.Block("static float* Normalize(float* row, float* weight, float* outRow)"))
            {
                RmsNormRendering.RenderInverse(kernel, f32, "K", k);
                RmsNormRendering.RenderScale(kernel, f32, f32, "K", k);
                w.Line("return outRow;");
            }
            return;
        }
        using (w.Block("static float InverseRms(float* row)"))
        {
            RmsNormRendering.RenderInverse(kernel, f32, "K", k);
            w.Line("return inv;");
        }
    }
}
