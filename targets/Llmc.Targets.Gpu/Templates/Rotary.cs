using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The cosine and sine of a rotary angle position·frequency, accurate to f32 for positions in the thousands: the
/// angle is kept exactly as a float pair (its rounding error recovered with an fma) and reduced modulo 2π in two
/// parts before sin and cos, where a plain f32 product would already be off by more than the f32 tolerance.
/// </summary>
public static class Rotary
{
    // 2π as a float plus the float nearest the remainder; the product turns·TwoPiHigh is exact for the turns that occur.
    private const double TwoPiHigh = 6.2831854820251465;
    private const double TwoPiLow = -1.7484556000744883e-7;

    /// <summary>Declares floats <paramref name="cos"/> and <paramref name="sin"/> of <paramref name="position"/> (a float) times <paramref name="frequency"/>.</summary>
    public static void RenderAngle(GpuKernelSource kernel, string position, string frequency, string cos, string sin)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"float {cos}, {sin};");
        using (w.Block(""))
        {
            w.Line($"float angleSteps = {position}, angleStep = {frequency};");
            w.Line($"{d.PreciseFloat} high = angleSteps * angleStep;");
            w.Line($"{d.PreciseFloat} low = {d.Fma("angleSteps", "angleStep", "-high")};");
            w.Line($"float turns = {d.RoundEven($"high * {d.Float(1 / (2 * Math.PI))}")};");
            w.Line($"{d.PreciseFloat} reduced = {d.Fma("-turns", d.Float(TwoPiHigh), "high")};");
            w.Line($"reduced = {d.Fma("-turns", d.Float(TwoPiLow), "reduced")} + low;");
            w.Line($"{cos} = {d.Call(MathFunction.Cos, "reduced")};");
            w.Line($"{sin} = {d.Call(MathFunction.Sin, "reduced")};");
        }
    }
}
