namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>rms_norm(x, weight) {eps}</c>: tasks take contiguous rows; each row is a sum of squares then a scale
/// (<see cref="RmsNormRendering"/>). A per-head norm (weight shorter than the row) is the same over rows of one head.
/// </summary>
public sealed class RmsNormTemplate : ICpuKernelTemplate
{
    public void Render(KernelSource kernel)
    {
        var w = kernel.Writer;
        var width = kernel.Instance.Operands[1][0].Size;
        var heads = kernel.Instance.Operands[0][1].Size / width;
        var (xf, wf) = (kernel.Format(0), kernel.Format(1));
        kernel.Operand("x", 0);
        kernel.Operand("weight", 1);
        kernel.Result("y");
        kernel.Constant("Width", width);
        w.Line($"const double Eps = {kernel.Instance.Attrs.GetDouble("eps").ToString("R", System.Globalization.CultureInfo.InvariantCulture)};");
        kernel.Share($"{KernelSource.Size(kernel.Instance.Result[0])} * {heads}", "first", "last");
        using (w.Block("for (int r = first; r < last; r++)"))
        {
            w.Line($"{xf.ElementType}* row = x + (long)r * Width;");
            w.Line("float* outRow = y + (long)r * Width;");
            RmsNormRendering.RenderInverse(kernel, xf, "Width", width);
            RmsNormRendering.RenderScale(kernel, xf, wf, "Width", width);
        }
    }
}
