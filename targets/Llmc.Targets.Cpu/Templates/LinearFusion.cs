using System.Globalization;
using Llmc.Ir.Ops;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// The hook points through which the linear templates (float and quantized) render a fused linear
/// (<see cref="FusedLinearOp"/>): the RMSNorm prologue and the residual or SwiGLU epilogue. The templates keep their
/// loops; a fusion adds operands, changes what a row of x means and how a product is stored.
/// <para>RMSNorm prologue: each task first computes 1/rms of every row (O(rows·K), against its share of the O(rows·N·K)
/// product). The float path multiplies the norm weight into whichever of x or w a register tile loads fewer of per k
/// step, and its finished sums by 1/rms, so x is never rewritten. The quantized path normalizes a row exactly as
/// <c>rms_norm</c>'s reference does (double arithmetic, per element the same operations in the same order) before
/// rounding it to int8, so the kernel rounds the same activations as the unfused graph's reference.</para>
/// </summary>
public sealed class LinearFusion(LinearPrologue prologue, LinearEpilogue epilogue)
{
    public static LinearFusion Plain { get; } = new(LinearPrologue.None, LinearEpilogue.None);

    private bool Normalizes => prologue == LinearPrologue.RmsNorm;

    /// <summary>Consecutive weight rows stored together: SwiGLU combines each gate row with the up row after it.</summary>
    public int ColumnMultiple => epilogue == LinearEpilogue.SwiGlu ? 2 : 1;

    /// <summary><paramref name="columns"/> rounded down to a whole number of <see cref="ColumnMultiple"/>s (at least one).</summary>
    public int RoundColumns(int columns) => Math.Max(ColumnMultiple, columns / ColumnMultiple * ColumnMultiple);

    /// <summary>Declares the fusion's operands and constants; the templates call it after x, w, y and N.</summary>
    public void Declare(KernelSource kernel)
    {
        var op = Ir.OpRegistry.Get(kernel.Instance.Template) as FusedLinearOp;
        if (Normalizes)
        {
            kernel.Operand("norm", op!.NormOperand);
            kernel.Writer.Line($"const double Eps = {kernel.Instance.Attrs.GetDouble("eps").ToString("R", CultureInfo.InvariantCulture)};");
        }
        if (epilogue == LinearEpilogue.Residual) kernel.Operand("residual", op!.ResidualOperand);
        if (epilogue == LinearEpilogue.SwiGlu) kernel.Writer.Line("const int Half = N / 2;");
    }

    /// <summary>Where product (row, column) lands in y (a SwiGLU pair lands at its gate column / 2).</summary>
    public string OutputIndex(string row, string column) =>
        epilogue == LinearEpilogue.SwiGlu ? $"(long)({row}) * Half + ({column}) / 2" : $"(long)({row}) * N + ({column})";

    /// <summary>
    /// Statements storing products <paramref name="values"/> (columns column .. column + ColumnMultiple - 1 of a
    /// row) through y, both relative to the pointers in scope; <paramref name="rowScale"/> multiplies them first.
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
            case LinearEpilogue.SwiGlu:
                using (w.Block(""))
                {
                    w.Line($"float gate = {scaled[0]}, up = {scaled[1]};");
                    w.Line($"y[{at}] = gate / (1f + MathF.Exp(-gate)) * up;");
                }
                break;
            default:
                w.Line($"y[{at}] = {scaled[0]};");
                break;
        }
    }

    // ---- the float template's hooks ----

    /// <summary>Per-task state of the float path, after <c>rows</c>: 1/rms of every row.</summary>
    public void DeclareFloatState(KernelSource kernel) => DeclareInverseRms(kernel, "float");

    /// <summary>Extra tile parameters and the arguments passed at rows r.., columns c.. (pointers offset like y).</summary>
    public IEnumerable<(string Parameter, string Argument)> TileParameters()
    {
        if (Normalizes)
        {
            yield return ("float* norm", "norm");
            yield return ("float* inverseRms", "inverseRms + r");
        }
        if (epilogue == LinearEpilogue.Residual) yield return ("float* residual", "residual + (long)r * N + c");
    }

    /// <summary>Declares what a k step of a tile needs before it loads x (the norm weight at k).</summary>
    public void BeginTileStep(SourceWriter w, CpuDialect d, bool vector)
    {
        if (Normalizes) w.Line(vector ? $"{d.Vector} normK = {d.Load("norm + k")};" : "float normK = norm[k];");
    }

    /// <summary>
    /// A load of x (or, with <paramref name="weight"/>, of w) in a <paramref name="rows"/> × <paramref name="columns"/>
    /// tile as the product sees it: times the norm weight when that operand has the fewer loads per k step.
    /// </summary>
    public string Scale(string load, bool weight, int rows, int columns) =>
        Normalizes && weight == rows > columns ? $"{load} * normK" : load;

    /// <summary>The factor of tile row <paramref name="row"/>'s products, if any.</summary>
    public string? TileRowScale(int row) => Normalizes ? $"inverseRms[{row}]" : null;

    // ---- the quantized template's hooks ----

    /// <summary>Per-task state of the quantized path, after <c>rows</c>: 1/rms of every row and a normalized row.</summary>
    public void DeclareQuantizedState(KernelSource kernel)
    {
        if (!Normalizes) return;
        DeclareInverseRms(kernel, "double");
        kernel.Writer.Line("float* normalized = stackalloc float[K];");
    }

    /// <summary>The f32 row the quantized path rounds to int8 for row <paramref name="row"/>.</summary>
    public string QuantizedRow(string row) =>
        Normalizes ? $"Normalize(x + (long)({row}) * K, norm, inverseRms[{row}], normalized)" : $"x + (long)({row}) * K";

    // Prefill chunks are at most a few thousand rows, so the table fits the stack.
    private void DeclareInverseRms(KernelSource kernel, string type)
    {
        if (!Normalizes) return;
        kernel.Writer.Line($"{type}* inverseRms = stackalloc {type}[rows];");
        kernel.Writer.Line("for (int rr = 0; rr < rows; rr++) inverseRms[rr] = InverseRms(x + (long)rr * K);");
    }

    /// <summary>Helper functions the hooks call, rendered after the template's own.</summary>
    public void RenderHelpers(KernelSource kernel, bool quantized)
    {
        if (!Normalizes) return;
        var (w, d) = (kernel.Writer, kernel.Dialect);
        if (quantized)
        {
            // rms_norm's reference term for term: the sum of squares in double, in order, then per element
            // (x · inverse) · norm in double rounded once to f32 (vector lanes do the same IEEE operations).
            using (w.Block("static double InverseRms(float* x)"))
            {
                w.Line("double squares = 0;");
                w.Line("for (int i = 0; i < K; i++) squares += (double)x[i] * x[i];");
                w.Line($"return 1.0 / {d.Call(MathFunction.Sqrt, "squares / K + Eps")};");
            }
            using (w.Block("static float* Normalize(float* x, float* norm, double inverse, float* to)"))
            {
                w.Line("int i = 0;");
                w.Line("Vector256<double> scale = Vector256.Create(inverse);");
                using (w.Block("for (; i + 8 <= K; i += 8)"))
                {
                    w.Line("Vector256<float> v = Vector256.Load(x + i), g = Vector256.Load(norm + i);");
                    w.Line("Vector256<double> low = Vector256.WidenLower(v) * scale * Vector256.WidenLower(g);");
                    w.Line("Vector256<double> high = Vector256.WidenUpper(v) * scale * Vector256.WidenUpper(g);");
                    w.Line("Vector256.Narrow(low, high).Store(to + i);");
                }
                w.Line("for (; i < K; i++) to[i] = (float)(x[i] * inverse * norm[i]);");
                w.Line("return to;");
            }
            return;
        }
        using (w.Block("static float InverseRms(float* x)"))
        {
            w.Line($"{d.Vector} squares = {d.Zero};");
            w.Line("float tail = 0f;");
            kernel.ForLanes("i", "0", "K", null,
                () => w.Line($"squares = {d.Fma(d.Load("x + i"), d.Load("x + i"), "squares")};"),
                () => w.Line("tail = MathF.FusedMultiplyAdd(x[i], x[i], tail);"));
            w.Line($"return (float)(1.0 / {d.Call(MathFunction.Sqrt, $"({d.Sum("squares")} + tail) / (double)K + Eps")});");
        }
    }
}
