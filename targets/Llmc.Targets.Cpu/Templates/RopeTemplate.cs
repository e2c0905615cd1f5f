namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>rope(x, positions, inv_freq) {head_dim}</c>, rotate-half layout. Tasks take contiguous (row, head) pairs;
/// a task computes the row's cosines and sines once and reuses them (<see cref="RotaryRendering"/>).
/// </summary>
public sealed class RopeTemplate : ICpuKernelTemplate
{
    public void Render(KernelSource kernel)
    {
        var w = kernel.Writer;
        var headDim = kernel.Instance.Attrs.GetInt("head_dim");
        var width = kernel.Instance.Operands[0][1].Size;
        var (xf, ff) = (kernel.Format(0), kernel.Format(2));
        kernel.Operand("x", 0);
        kernel.Operand("positions", 1);
        kernel.Operand("invFreq", 2);
        kernel.Result("y");
        kernel.Constant("HeadDim", headDim);
        kernel.Constant("Half", headDim / 2);
        kernel.Constant("Width", width);
        kernel.Constant("Heads", width / headDim);
        w.Line("float* cos = stackalloc float[Half];");
        w.Line("float* sin = stackalloc float[Half];");
        w.Line("int tableRow = -1;");
        kernel.Share($"{KernelSource.Size(kernel.Instance.Result[0])} * Heads", "first", "last");
        using (w.Block("for (int unit = first; unit < last; unit++)"))
        {
            w.Line("int r = unit / Heads, head = unit % Heads;");
            using (w.Block("if (r != tableRow)"))
            {
                w.Line("tableRow = r;");
                RotaryRendering.RenderAngles(kernel, ff, "positions[r]");
            }
            w.Line($"{xf.ElementType}* from = x + (long)r * Width + head * HeadDim;");
            w.Line("float* to = y + (long)r * Width + head * HeadDim;");
            RotaryRendering.RenderRotation(kernel, xf, headDim);
        }
    }
}
