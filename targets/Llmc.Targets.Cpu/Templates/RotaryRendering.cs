using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// The rotate-half rotary embedding as <c>rope</c> and <c>attention_rope</c> both render it: a table of cosines and
/// sines per position (angles in double, as they grow with the position), then each head's pairs (i, i + Half)
/// rotated in f32. The rendered code expects a <c>Half</c> constant and <c>cos</c>/<c>sin</c> float pointers.
/// </summary>
public static class RotaryRendering
{
    /// <summary>Statements filling <c>cos</c>/<c>sin</c> for the position <paramref name="position"/> from <c>invFreq</c>.</summary>
    public static void RenderAngles(KernelSource kernel, ElementFormat invFreq, string position) =>
        RenderAngles(kernel.Writer, kernel.Dialect, invFreq, position);

    /// <summary>The same statements outside a kernel (<see cref="CpuSource"/>'s step angles).</summary>
    public static void RenderAngles(SourceWriter w, CpuDialect d, ElementFormat invFreq, string position)
    {
        using (w.Block("for (int i = 0; i < Half; i++)"))
        {
            w.Line($"double angle = (double)({position}) * {invFreq.LoadScalar("invFreq", "i")};");
            w.Line($"cos[i] = (float){d.Call(MathFunction.Cos, "angle")};");
            w.Line($"sin[i] = (float){d.Call(MathFunction.Sin, "angle")};");
        }
    }

    /// <summary>Statements rotating one head from <c>from</c> (read through <paramref name="x"/>) into the f32 <c>to</c>.</summary>
    public static void RenderRotation(KernelSource kernel, ElementFormat x, int headDim)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        kernel.ForLanes("i", "0", "Half", headDim / 2,
            () =>
            {
                w.Line($"{d.Vector} x0 = {x.LoadVector(d, "from", "i")}, x1 = {x.LoadVector(d, "from", "Half + i")};");
                w.Line($"{d.Vector} c = {d.Load("cos + i")}, s = {d.Load("sin + i")};");
                w.Line(d.Store(d.Fma("x0", "c", "-(x1 * s)"), "to + i"));
                w.Line(d.Store(d.Fma("x1", "c", "x0 * s"), "to + Half + i"));
            },
            () =>
            {
                w.Line($"float x0 = {x.LoadScalar("from", "i")}, x1 = {x.LoadScalar("from", "Half + i")};");
                w.Line("to[i] = MathF.FusedMultiplyAdd(x0, cos[i], -(x1 * sin[i]));");
                w.Line("to[Half + i] = MathF.FusedMultiplyAdd(x1, cos[i], x0 * sin[i]);");
            });
    }
}
