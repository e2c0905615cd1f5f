using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>rms_norm(x, weight) {eps}</c>: one workgroup per row; threads stride the row summing squares, a shared-memory
/// tree adds their sums, then every thread scales its elements.
/// </summary>
public sealed class RmsNormTemplate : IGpuKernelTemplate
{
    private const int Threads = 128;

    public GpuKernelShape Shape(KernelInstance instance) =>
        new(Threads, 1, instance.Result[0], [new SharedArray("float", "partial", Threads)]);

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        kernel.Constant("Width", kernel.Instance.Operands[1][0].Size);
        kernel.Constant("Eps", kernel.Instance.Attrs.GetDouble("eps"));
        w.Line($"int row = {d.GroupY};");
        w.Line("float squares = 0.0f;");
        using (w.Block($"for (int i = {d.LocalId}; i < Width; i += {Threads})"))
        {
            w.Line($"float v = {kernel.Load(0, "row * Width + i")};");
            w.Line($"squares = {d.Fma("v", "v", "squares")};");
        }
        var total = kernel.Sum("partial", "squares", Threads);
        w.Line($"float inv = 1.0f / {d.Call(MathFunction.Sqrt, $"{total} / {d.Cast("float", "Width")} + Eps")};");
        using (w.Block($"for (int i = {d.LocalId}; i < Width; i += {Threads})"))
            w.Line(kernel.StoreResult("row * Width + i", $"{kernel.Load(0, "row * Width + i")} * inv * {kernel.Load(1, "i")}"));
    }
}
