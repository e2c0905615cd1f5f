namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>embedding(table, ids)</c> and <c>gather_rows(x, rows)</c>: result row r is source row <c>indices[r]</c>.
/// Tasks take contiguous rows; an index outside the source throws rather than reading past it. An embedding's
/// <c>scale</c> multiplies each value.
/// </summary>
public sealed class RowGatherTemplate : ICpuKernelTemplate
{
    public void Render(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var (source, result) = (kernel.Instance.Operands[0], kernel.Instance.Result);
        var format = kernel.Format(0);
        kernel.Operand("source", 0);
        kernel.Operand("indices", 1);
        kernel.Result("y");
        kernel.Constant("Width", source[1].Size);
        if (kernel.Instance.Attrs.ContainsKey("scale")) kernel.Constant("Scale", kernel.Instance.Attrs.GetDouble("scale"));
        w.Line($"int limit = {KernelSource.Size(source[0])};");
        kernel.Share(KernelSource.Size(result[0]), "first", "last");
        using (w.Block("for (int r = first; r < last; r++)"))
        {
            w.Line("int index = indices[r];");
            w.Line("if ((uint)index >= (uint)limit)");
            w.Line($"    throw new IndexOutOfRangeException(\"{kernel.Name}: index \" + index + \" outside \" + limit + \" rows\");");
            w.Line($"{format.ElementType}* from = source + (long)index * Width;");
            w.Line("float* to = y + (long)r * Width;");
            var scaled = kernel.Instance.Attrs.ContainsKey("scale");
            kernel.ForLanes("i", "0", "Width", source[1].Size,
                () => w.Line(d.Store(format.LoadVector(d, "from", "i") + (scaled ? $" * {d.Splat("Scale")}" : ""), "to + i")),
                () => w.Line($"to[i] = {format.LoadScalar("from", "i")}{(scaled ? " * Scale" : "")};"));
        }
    }
}
