using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary><c>rms_norm(x, weight) {eps}</c>: tasks take contiguous rows; each row is a sum of squares then a scale.</summary>
public sealed class RmsNormTemplate : ICpuKernelTemplate
{
    public void Render(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var width = kernel.Instance.Operands[1][0].Size;
        var (xf, wf) = (kernel.Format(0), kernel.Format(1));
        kernel.Operand("x", 0);
        kernel.Operand("weight", 1);
        kernel.Result("y");
        kernel.Constant("Width", width);
        w.Line($"const double Eps = {kernel.Instance.Attrs.GetDouble("eps").ToString("R", System.Globalization.CultureInfo.InvariantCulture)};");
        kernel.Share(KernelSource.Size(kernel.Instance.Result[0]), "first", "last");
        using (w.Block("for (int r = first; r < last; r++)"))
        {
            w.Line($"{xf.ElementType}* row = x + (long)r * Width;");
            w.Line("float* outRow = y + (long)r * Width;");
            w.Line($"{d.Vector} squares = {d.Zero};");
            w.Line("float tail = 0f;");
            kernel.ForLanes("i", "0", "Width", width,
                () =>
                {
                    w.Line($"{d.Vector} v = {xf.LoadVector(d, "row", "i")};");
                    w.Line($"squares = {d.Fma("v", "v", "squares")};");
                },
                () =>
                {
                    w.Line($"float s = {xf.LoadScalar("row", "i")};");
                    w.Line("tail = MathF.FusedMultiplyAdd(s, s, tail);");
                });
            w.Line($"float inv = (float)(1.0 / {d.Call(MathFunction.Sqrt, $"({d.Sum("squares")} + tail) / (double)Width + Eps")});");
            w.Line($"{d.Vector} scale = {d.Splat("inv")};");
            kernel.ForLanes("i", "0", "Width", width,
                () => w.Line(d.Store($"{xf.LoadVector(d, "row", "i")} * scale * {wf.LoadVector(d, "weight", "i")}", "outRow + i")),
                () => w.Line($"outRow[i] = {xf.LoadScalar("row", "i")} * inv * {wf.LoadScalar("weight", "i")};"));
        }
    }
}
