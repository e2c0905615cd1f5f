namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>embedding(table, ids)</c> and <c>gather_rows(x, rows)</c>: result row r is source row <c>indices[r]</c>; x covers
/// the width, y the result rows. An index outside the source leaves its row unwritten rather than reading past it.
/// An embedding's <c>scale</c> multiplies each value.
/// </summary>
public sealed class RowGatherTemplate : IGpuKernelTemplate
{
    private const int Threads = 128;

    public GpuKernelShape Shape(KernelInstance instance) => ShapeOf(instance);

    /// <summary>A thread per value of a source row (x), a result row per workgroup row (y).</summary>
    public static GpuKernelShape ShapeOf(KernelInstance instance) =>
        new(Threads, GpuKernels.GroupsFor(instance.Operands[0][1].Size, Threads), instance.Result[0], []);

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        RenderIndex(kernel);
        w.Line("int from = index * Width + i;");
        var scale = kernel.Instance.Attrs.ContainsKey("scale") ? $" * {d.Float(kernel.Instance.Attrs.GetDouble("scale"))}" : "";
        w.Line(kernel.StoreResult("r * Width + i", kernel.Load(0, "from") + scale));
    }

    /// <summary>
    /// Declares <c>Width</c>, this thread's value <c>i</c> of result row <c>r</c> and the source row <c>index</c>, and
    /// returns for a value past the width or an index outside the source.
    /// </summary>
    public static void RenderIndex(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var source = kernel.Instance.Operands[0];
        kernel.Constant("Width", source[1].Size);
        w.Line($"int i = {d.GroupX} * {Threads} + {d.LocalId};");
        w.Line($"int r = {d.GroupY};");
        w.Line($"int index = {kernel.LoadInt(1, "r")};");
        w.Line($"if (i >= Width || index < 0 || index >= {kernel.Size(source[0])}) return;");
    }
}
