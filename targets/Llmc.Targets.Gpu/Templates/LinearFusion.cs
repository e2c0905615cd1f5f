using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The prologue and epilogue of a linear-family kernel (<see cref="FusedLinearOp"/>): an RMSNorm of each activation
/// row, computed by the workgroup before the product and applied as each activation is read; and what is stored per
/// output column: the product, the product plus the residual or the column's bias, or silu(gate)·up of an interleaved gate/up pair of
/// weight rows. Plain <c>linear</c> is the fusion with neither. Accumulators are <c>acc[m * J + j]</c> for tile row m
/// and weight row j of the column (J = <see cref="Rows"/>.Count).
/// </summary>
public sealed record LinearFusion(LinearPrologue Prologue, LinearEpilogue Epilogue)
{
    public static LinearFusion None { get; } = new(LinearPrologue.None, LinearEpilogue.None);

    /// <summary>The fusion of a linear-family op (<see cref="FusedLinearOp.PartsOf"/>).</summary>
    public static LinearFusion Of(OpDef op)
    {
        var (prologue, epilogue) = FusedLinearOp.PartsOf(op);
        return new LinearFusion(prologue, epilogue);
    }

    /// <summary>The weight rows each output column reads: one, or the gate and up rows of a SwiGLU pair.</summary>
    public IReadOnlyList<string> Rows => Epilogue is LinearEpilogue.SwiGlu or LinearEpilogue.GeGlu ? ["2 * c", "2 * c + 1"] : ["c"];

    private const int NormOperand = 2;

    private int EpilogueOperand => FusedLinearOp.EpilogueOperandOf(Prologue);

    /// <summary>Declares the accumulators, zeroed; with the RMSNorm prologue, also <c>norm[m]</c>, each tile row's 1/rms.</summary>
    public void RenderPrologue(GpuKernelSource kernel, MatVecLayout layout)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"float acc[{layout.Rows * Rows.Count}];");
        w.Line($"for (int a = 0; a < {layout.Rows * Rows.Count}; a++) acc[a] = 0.0f;");
        if (Prologue != LinearPrologue.RmsNorm) return;
        w.Line($"float norm[{layout.Rows}];");
        // Constant-trip loops (here and in the store): a runtime bound would index norm and acc dynamically, which
        // puts them in local memory instead of registers.
        layout.ForRows(kernel, () =>
        {
            w.Line($"norm[m] = {RmsNormTemplate.InverseRms(kernel, "(r0 + m) * K", "K")};");
            w.Line(d.Barrier);
        });
    }

    /// <summary>Activation <c>i</c> of tile row <c>m</c> as the product reads it (normalized with the prologue).</summary>
    public string Activation(GpuKernelSource kernel, string i) => Activation(kernel, "(r0 + m) * K", "norm[m]", i);

    /// <summary>
    /// Activation <c>i</c> of the row starting at element <paramref name="rowStart"/> of x as the product reads it: with
    /// the RMSNorm prologue, times the row's 1/rms <paramref name="inverseRms"/> and the norm weight.
    /// </summary>
    public string Activation(GpuKernelSource kernel, string rowStart, string inverseRms, string i) =>
        Prologue == LinearPrologue.RmsNorm
            ? $"{kernel.Load(0, $"{rowStart} + {i}")} * {inverseRms} * {kernel.Load(NormOperand, i)}"
            : kernel.Load(0, $"{rowStart} + {i}");

    /// <summary>Adds each run's accumulators and stores the epilogue's y[r0 + m, c] for every tile row.</summary>
    public void RenderStore(GpuKernelSource kernel, MatVecLayout layout)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        layout.ForRows(kernel, () =>
        {
            for (var j = 0; j < Rows.Count; j++)
            {
                w.Line($"float sum{j} = {kernel.Sum("partial", $"acc[m * {Rows.Count} + {j}]", layout.Lanes)};");
                // The shared array is reused next: everyone must have read this sum.
                if (!kernel.ReducesInRegisters(layout.Lanes)) w.Line(d.Barrier);
            }
            w.Line($"if (lane == 0 && c < N) {Store(kernel, "r0 + m", "c", [.. Rows.Select((_, j) => $"sum{j}")])}");
        });
    }

    /// <summary>
    /// The statement storing y[<paramref name="row"/>, <paramref name="column"/>] (N columns) from the column's
    /// products, one per weight row of <see cref="Rows"/>: the product, the product plus the residual or the bias, or
    /// silu(gate)·up, with the elementwise ops' own formulas. Products are repeated, so pass names.
    /// </summary>
    public string Store(GpuKernelSource kernel, string row, string column, IReadOnlyList<string> products)
    {
        var d = kernel.Dialect;
        var at = $"({row}) * N + {column}";
        var f = ElementwiseTemplate.Formulas;
        var value = Epilogue switch
        {
            LinearEpilogue.Residual => f["add"](d, products[0], kernel.Load(EpilogueOperand, at)),
            LinearEpilogue.Bias => f["add"](d, products[0], kernel.Load(EpilogueOperand, column)),
            LinearEpilogue.SwiGlu => f["mul"](d, $"({f["silu"](d, products[0], products[0])})", products[1]),
            LinearEpilogue.GeGlu => f["mul"](d, $"({f["gelu_tanh"](d, products[0], products[0])})", products[1]),
            _ => products[0],
        };
        return kernel.StoreResult(at, value);
    }
}
