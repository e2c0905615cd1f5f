using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary><c>soft_cap(x) {cap}</c>: cap · tanh(x / cap), one thread per element of a [rows, width] operand (x: width, y: rows).</summary>
public sealed class SoftCapTemplate : IGpuKernelTemplate
{
    private const int Threads = 128;

    public GpuKernelShape Shape(KernelInstance instance) =>
        new(Threads, GpuKernels.GroupsFor(instance.Result[1].Size, Threads), instance.Result[0], []);

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        kernel.Constant("Width", kernel.Instance.Result[1].Size);
        kernel.Constant("Cap", kernel.Instance.Attrs.GetDouble("cap"));
        w.Line($"int i = {d.GroupX} * {Threads} + {d.LocalId};");
        w.Line("if (i >= Width) return;");
        w.Line($"int at = {d.GroupY} * Width + i;");
        w.Line(kernel.StoreResult("at", $"Cap * {d.Call(MathFunction.Tanh, $"{kernel.Load(0, "at")} / Cap")}"));
    }
}
