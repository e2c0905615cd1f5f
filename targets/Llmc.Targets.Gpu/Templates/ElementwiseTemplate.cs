using Llmc.Ir;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// An element-by-element op over [rows, width] operands of one shape, given as its expression of the loaded operands
/// (<c>a</c>, and <c>b</c> for binary ops). One thread per element: x covers the width, y the rows.
/// </summary>
/// <param name="expression">The f32 result from the dialect and the operand names.</param>
public sealed class ElementwiseTemplate(Func<GpuDialect, string, string, string> expression) : IGpuKernelTemplate
{
    private const int Threads = 128;

    public GpuKernelShape Shape(KernelInstance instance)
    {
        var (rows, width) = Extent(instance);
        return new GpuKernelShape(Threads, GpuKernels.GroupsFor(width, Threads), rows, []);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var (_, width) = Extent(kernel.Instance);
        kernel.Constant("Width", width);
        w.Line($"int i = {d.GroupX} * {Threads} + {d.LocalId};");
        w.Line("if (i >= Width) return;");
        w.Line($"int at = {d.GroupY} * Width + i;");
        var names = new[] { "a", "b" };
        for (var o = 0; o < kernel.Instance.Operands.Count; o++) w.Line($"float {names[o]} = {kernel.Load(o, "at")};");
        w.Line(kernel.StoreResult("at", expression(d, "a", "b")));
    }

    /// <summary>The rows (the leading dim of a rank-2 result, else 1) and the static width of the rest.</summary>
    private static (Dim Rows, long Width) Extent(KernelInstance instance)
    {
        var shape = instance.Result.Shape;
        if (shape.Length == 2 && !shape[1].IsSymbolic) return (shape[0], shape[1].Size);
        if (instance.Result.IsStatic) return (1, instance.Result.StaticElementCount);
        throw new TargetException($"elementwise kernels take [rows, width] or static operands, got {instance.Result}");
    }
}
