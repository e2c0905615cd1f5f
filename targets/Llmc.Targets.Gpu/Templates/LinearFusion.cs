using Llmc.Ir.Ops;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The prologue and epilogue of a linear-family kernel (<see cref="FusedLinearOp"/>): an RMSNorm of the activation
/// row, computed by the workgroup before the product and applied as each activation is read; and what is stored per
/// output column: the product, the product plus the residual, or silu(gate)·up of an interleaved gate/up pair of
/// weight rows. Plain <c>linear</c> is the fusion with neither.
/// </summary>
public sealed record LinearFusion(LinearPrologue Prologue, LinearEpilogue Epilogue)
{
    public static LinearFusion None { get; } = new(LinearPrologue.None, LinearEpilogue.None);

    /// <summary>The weight rows each output column reads: one, or the gate and up rows of a SwiGLU pair.</summary>
    public IReadOnlyList<string> Rows => Epilogue == LinearEpilogue.SwiGlu ? ["2 * c", "2 * c + 1"] : ["c"];

    private const int NormOperand = 2;

    private int ResidualOperand => Prologue == LinearPrologue.RmsNorm ? 3 : 2;

    /// <summary>With the RMSNorm prologue: declares <c>norm</c>, row r's 1/rms, from every thread of the workgroup.</summary>
    public void RenderPrologue(GpuKernelSource kernel)
    {
        if (Prologue != LinearPrologue.RmsNorm) return;
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line("float squares = 0.0f;");
        using (w.Block($"for (int i = {d.LocalId}; i < K; i += {kernel.Shape.LocalSize})"))
        {
            w.Line($"float v = {kernel.Load(0, "r * K + i")};");
            w.Line($"squares = {d.Fma("v", "v", "squares")};");
        }
        var total = kernel.Sum("partial", "squares", kernel.Shape.LocalSize);
        w.Line($"float norm = 1.0f / {d.Call(MathFunction.Sqrt, $"{total} / {d.Cast("float", "K")} + {d.Float(kernel.Instance.Attrs.GetDouble("eps"))}")};");
        w.Line(d.Barrier);
    }

    /// <summary>Activation <c>i</c> of row r as the product reads it (normalized with the prologue).</summary>
    public string Activation(GpuKernelSource kernel, string i) =>
        Prologue == LinearPrologue.RmsNorm
            ? $"{kernel.Load(0, $"r * K + {i}")} * norm * {kernel.Load(NormOperand, i)}"
            : kernel.Load(0, $"r * K + {i}");

    /// <summary>Adds each run's accumulators (<c>acc0</c>, and <c>acc1</c> for SwiGLU) and stores the epilogue's y[r, c].</summary>
    public void RenderStore(GpuKernelSource kernel, MatVecLayout layout)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        for (var j = 0; j < Rows.Count; j++)
        {
            // The shared tree is reused for the second sum: everyone must have read the first one.
            if (j > 0) w.Line(d.Barrier);
            w.Line($"float sum{j} = {kernel.Sum("partial", $"acc{j}", layout.Lanes)};");
        }
        var value = Epilogue switch
        {
            LinearEpilogue.Residual => $"sum0 + {kernel.Load(ResidualOperand, "r * N + c")}",
            LinearEpilogue.SwiGlu => $"sum0 / (1.0f + {d.Call(MathFunction.Exp, "-sum0")}) * sum1",
            _ => "sum0",
        };
        w.Line($"if (lane == 0 && c < N) {kernel.StoreResult("r * N + c", value)}");
    }
}
