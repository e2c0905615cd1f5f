using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>rope(x, positions, inv_freq) {head_dim}</c>, rotate-half layout. Tasks take contiguous (row, head) pairs;
/// a task computes the row's cosines and sines once (in double, as angles grow with the position) and reuses them.
/// </summary>
public sealed class RopeTemplate : ICpuKernelTemplate
{
    public void Render(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
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
                using (w.Block("for (int i = 0; i < Half; i++)"))
                {
                    w.Line($"double angle = (double)positions[r] * {ff.LoadScalar("invFreq", "i")};");
                    w.Line($"cos[i] = (float){d.Call(MathFunction.Cos, "angle")};");
                    w.Line($"sin[i] = (float){d.Call(MathFunction.Sin, "angle")};");
                }
            }
            w.Line($"{xf.ElementType}* from = x + (long)r * Width + head * HeadDim;");
            w.Line("float* to = y + (long)r * Width + head * HeadDim;");
            kernel.ForLanes("i", "0", "Half", headDim / 2,
                () =>
                {
                    w.Line($"{d.Vector} x0 = {xf.LoadVector(d, "from", "i")}, x1 = {xf.LoadVector(d, "from", "Half + i")};");
                    w.Line($"{d.Vector} c = {d.Load("cos + i")}, s = {d.Load("sin + i")};");
                    w.Line(d.Store(d.Fma("x0", "c", "-(x1 * s)"), "to + i"));
                    w.Line(d.Store(d.Fma("x1", "c", "x0 * s"), "to + Half + i"));
                },
                () =>
                {
                    w.Line($"float x0 = {xf.LoadScalar("from", "i")}, x1 = {xf.LoadScalar("from", "Half + i")};");
                    w.Line("to[i] = MathF.FusedMultiplyAdd(x0, cos[i], -(x1 * sin[i]));");
                    w.Line("to[Half + i] = MathF.FusedMultiplyAdd(x1, cos[i], x0 * sin[i]);");
                });
        }
    }
}
