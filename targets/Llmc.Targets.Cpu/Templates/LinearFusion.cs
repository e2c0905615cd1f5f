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
/// the norm weight into whichever of x or w a register tile loads fewer of per k step, and its finished sums by 1/rms,
/// so x is never rewritten. The quantized path normalizes each row it rounds to int8 into a scratch row, exactly as the
/// <c>rms_norm</c> kernel would have written it, so fused and unfused quantized engines round the same activations.</para>
/// </summary>
public sealed class LinearFusion(LinearPrologue prologue, LinearEpilogue epilogue)
{
    public static LinearFusion Plain { get; } = new(LinearPrologue.None, LinearEpilogue.None);

    private bool Normalizes => prologue == LinearPrologue.RmsNorm;

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

    /// <summary>Whether the weight side of every product is multiplied anyway (by the norm weight), so a constant factor costs nothing there.</summary>
    public bool ScalesWeights => Normalizes;

    /// <summary>
    /// Declares what a k step of a tile needs before it loads x: the norm weight at k, times
    /// <paramref name="weightFactor"/> when given (a power of two a kernel folds into the weights; exact).
    /// </summary>
    public void BeginTileStep(SourceWriter w, CpuDialect d, bool vector, string? weightFactor = null)
    {
        if (!Normalizes) return;
        if (!vector) w.Line("float normK = norm[k];");
        else w.Line($"{d.Vector} normK = {d.Load("norm + k")}{(weightFactor is null ? "" : $" * {d.Splat(weightFactor)}")};");
    }

    /// <summary>
    /// A load of x (or, with <paramref name="weight"/>, of w) as the product sees it: the weight times the norm weight.
    /// Always the weight, whatever the tile's shape: which tile computes a row depends on how many rows share the step,
    /// and x·(w·g) and (x·g)·w round differently, so scaling the side with fewer loads would let batching change a
    /// row's result. The weight side is the cheaper one for the many-row tiles of prefill and batched decode.
    /// </summary>
    public string Scale(string load, bool weight) => Normalizes && weight ? $"{load} * normK" : load;

    /// <summary>The factor of tile row <paramref name="row"/>'s products, if any.</summary>
    public string? TileRowScale(int row) => Normalizes ? $"inverseRms[{row}]" : null;

    // ---- the quantized template's hooks ----

    /// <summary>Per-task state of the quantized path, after <c>rows</c>: a normalized row.</summary>
    public void DeclareQuantizedState(KernelSource kernel)
    {
        if (Normalizes) kernel.Writer.Line("float* normalized = stackalloc float[K];");
    }

    /// <summary>The f32 row the quantized path rounds to int8 for row <paramref name="row"/>.</summary>
    public string QuantizedRow(string row) =>
        Normalizes ? $"Normalize(x + (long)({row}) * K, norm, normalized)" : $"x + (long)({row}) * K";

    /// <summary>Helper functions the hooks call, rendered after the template's own.</summary>
    public void RenderHelpers(KernelSource kernel, bool quantized)
    {
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
