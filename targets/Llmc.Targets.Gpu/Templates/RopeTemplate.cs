namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>rope(x, positions, inv_freq) {head_dim}</c>, rotate-half layout: one thread per (head, pair) of a row; y covers
/// the rows. The angle position·inv_freq is kept exactly as a float pair (its rounding error recovered with an fma)
/// and reduced modulo 2π in two parts before sin and cos, since f32 angles reach thousands of radians where a plain
/// product would be off by more than the f32 tolerance.
/// </summary>
public sealed class RopeTemplate : IGpuKernelTemplate
{
    private const int Threads = 64;

    // 2π as a float plus the float nearest the remainder; the product k·TwoPiHigh is exact for the k that occur.
    private const double TwoPiHigh = 6.2831854820251465;
    private const double TwoPiLow = -1.7484556000744883e-7;

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
        w.Line($"float position = {d.Cast("float", kernel.LoadInt(1, "r"))};");
        w.Line($"float frequency = {kernel.Load(2, "i")};");
        w.Line($"{d.PreciseFloat} high = position * frequency;");
        w.Line($"{d.PreciseFloat} low = {d.Fma("position", "frequency", "-high")};");
        w.Line($"float turns = {d.RoundEven($"high * {d.Float(1 / (2 * Math.PI))}")};");
        w.Line($"{d.PreciseFloat} reduced = {d.Fma("-turns", d.Float(TwoPiHigh), "high")};");
        w.Line($"reduced = {d.Fma("-turns", d.Float(TwoPiLow), "reduced")} + low;");
        w.Line($"float c = {d.Call(Emit.MathFunction.Cos, "reduced")}, s = {d.Call(Emit.MathFunction.Sin, "reduced")};");
        w.Line($"float x0 = {kernel.Load(0, "at")}, x1 = {kernel.Load(0, "at + Half")};");
        w.Line(kernel.StoreResult("at", d.Fma("x0", "c", "-(x1 * s)")));
        w.Line(kernel.StoreResult("at + Half", d.Fma("x1", "c", "x0 * s")));
    }
}
