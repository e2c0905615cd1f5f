using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The cosine and sine of a rotary angle position·frequency, accurate to f32 where positions reach the thousands and
/// a plain f32 product reduced by sin/cos would be off by more than the f32 tolerance. No step relies on a fused
/// multiply-add being single-rounded (Vulkan does not promise it): the frequency is split by masking into an 11-bit
/// head, whose product with an integer position below 2¹³ is exact, and a small tail; the exact part is reduced
/// modulo 2π Cody–Waite style with 2π in three pieces, the first two 12-bit, so each turns·piece product is exact
/// for angles below 4096 turns. Beyond those ranges the error grows gently with the angle.
/// </summary>
public static class Rotary
{
    private const double TwoPiFirst = 6.283203125;
    private const double TwoPiSecond = -1.7814338207244873e-05;
    private const double TwoPiThird = -3.482206523131026e-09;

    /// <summary>Declares floats <paramref name="cos"/> and <paramref name="sin"/> of <paramref name="position"/> (an integral float) times <paramref name="frequency"/>.</summary>
    public static void RenderAngle(GpuKernelSource kernel, string position, string frequency, string cos, string sin)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"float {cos}, {sin};");
        using (w.Block(""))
        {
            var p = d.PreciseFloat;
            w.Line($"float angleSteps = {position}, angleStep = {frequency};");
            w.Line($"float stepHead = {d.BitsToFloat($"{d.FloatToBits("angleStep")} & 0xffffe000u")};");
            w.Line($"{p} stepTail = angleStep - stepHead;");
            w.Line($"{p} exact = angleSteps * stepHead;");
            w.Line($"{p} small = angleSteps * stepTail;");
            w.Line($"float turns = {d.RoundEven($"exact * {d.Float(1 / (2 * Math.PI))}")};");
            w.Line($"{p} reduced = exact - turns * {d.Float(TwoPiFirst)};");
            w.Line($"reduced = reduced - turns * {d.Float(TwoPiSecond)};");
            w.Line($"reduced = reduced - turns * {d.Float(TwoPiThird)} + small;");
            w.Line($"{cos} = {d.Call(MathFunction.Cos, "reduced")};");
            w.Line($"{sin} = {d.Call(MathFunction.Sin, "reduced")};");
        }
    }

    /// <summary>
    /// Declares floats <paramref name="first"/> and <paramref name="second"/>: the rotate-half pair
    /// (<paramref name="x0"/>, <paramref name="x1"/>), dims i and i + head_dim/2 of a head, rotated by the angle
    /// <paramref name="position"/>·<paramref name="frequency"/> (<see cref="RenderAngle"/>).
    /// </summary>
    public static void RenderRotation(GpuKernelSource kernel, string position, string frequency, string x0, string x1, string first, string second)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"float {first}, {second};");
        using (w.Block(""))
        {
            RenderAngle(kernel, position, frequency, "c", "s");
            w.Line($"float x0 = {x0}, x1 = {x1};");
            w.Line($"{first} = {d.Fma("x0", "c", "-(x1 * s)")};");
            w.Line($"{second} = {d.Fma("x1", "c", "x0 * s")};");
        }
    }
}
