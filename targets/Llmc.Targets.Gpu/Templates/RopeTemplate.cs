namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>rope(x, positions, inv_freq) {head_dim}</c>, rotate-half layout: one thread per (head, pair) of a row; y covers
/// the rows. Rotated by <see cref="Rotary"/>.
/// </summary>
public sealed class RopeTemplate : IGpuKernelTemplate
{
    private const int Threads = 64;

    public GpuKernelShape Shape(KernelInstance instance)
    {
        var pairs = instance.Operands[0][1].Size / 2;
        return new GpuKernelShape(Threads, GpuKernels.GroupsFor(pairs, Threads), instance.Result[0], []);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var headDim = kernel.Instance.Attrs.GetInt("head_dim");
        kernel.Constant("Half", headDim / 2);
        kernel.Constant("Width", kernel.Instance.Operands[0][1].Size);
        w.Line($"int pair = {d.GroupX} * {Threads} + {d.LocalId};");
        w.Line("if (pair >= Width / 2) return;");
        w.Line($"int r = {d.GroupY};");
        w.Line("int i = pair % Half;");
        w.Line("int at = r * Width + pair / Half * 2 * Half + i;");
        Rotary.RenderRotation(kernel, d.Cast("float", kernel.LoadInt(1, "r")), kernel.Load(2, "i"), kernel.Load(0, "at"), kernel.Load(0, "at + Half"), "y0", "y1");
        w.Line(kernel.StoreResult("at", "y0"));
        w.Line(kernel.StoreResult("at + Half", "y1"));
    }
}
