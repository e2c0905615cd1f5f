using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>rms_norm(x, weight) {eps}</c>: one workgroup per row (per head of a row, for a per-head norm: x in the
/// <c>x</c> dimension of the grid); threads stride the row summing squares, a shared-memory tree adds their sums,
/// then every thread scales its elements.
/// </summary>
public sealed class RmsNormTemplate : IGpuKernelTemplate
{
    private const int Threads = 128;

    public GpuKernelShape Shape(KernelInstance instance) =>
        new(Threads, (int)(instance.Operands[0][1].Size / instance.Operands[1][0].Size), instance.Result[0], [new SharedArray("float", "partial", Threads)]);

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        kernel.Constant("Width", kernel.Instance.Operands[1][0].Size);
        w.Line($"int row = {d.GroupY} * {kernel.Shape.GroupsX} + {d.GroupX};");
        w.Line($"float inv = {InverseRms(kernel, "row * Width", "Width")};");
        using (w.Block($"for (int i = {d.LocalId}; i < Width; i += {Threads})"))
            w.Line(kernel.StoreResult("row * Width + i", $"{kernel.Load(0, "row * Width + i")} * inv * {kernel.Load(1, "i")}"));
    }

    /// <summary>
    /// Writes the sum of squares of operand 0's <paramref name="width"/> elements from <paramref name="start"/> over
    /// each run of <paramref name="lanes"/> consecutive threads, the whole workgroup by default (every thread must get
    /// here; a tree uses the shared <c>partial</c>), and returns 1/sqrt(mean + eps) as an expression, valid until
    /// <c>partial</c> is reused. Shared by <c>rms_norm</c>, the fused linear prologue and CUDA's tensor-core prologue
    /// (a warp per row), so all normalize alike.
    /// </summary>
    public static string InverseRms(GpuKernelSource kernel, string start, string width, int? lanes = null)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var run = lanes ?? kernel.Shape.LocalSize;
        var lane = run == kernel.Shape.LocalSize ? d.LocalId : $"({d.LocalId} & {run - 1})";
        w.Line("float squares = 0.0f;");
        using (w.Block($"for (int i = {lane}; i < {width}; i += {run})"))
        {
            w.Line($"float v = {kernel.Load(0, $"{start} + i")};");
            w.Line($"squares = {d.Fma("v", "v", "squares")};");
        }
        var total = kernel.Sum("partial", "squares", run);
        var eps = d.Float(kernel.Instance.Attrs.GetDouble("eps"));
        return $"1.0f / {d.Call(MathFunction.Sqrt, $"{total} / {d.Cast("float", width)} + {eps}")}";
    }
}
