using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// RMSNorm as <c>rms_norm</c>'s kernel and the fused linears' prologue both render it, so a fused kernel normalizes a
/// row with exactly the arithmetic of the unfused one (and a quantized fused linear rounds the same activations to
/// int8 as the unfused graph's kernels). The rendered code expects a double constant <c>Eps</c>.
/// </summary>
public static class RmsNormRendering
{
    /// <summary>Declares <c>float inv</c> = 1/rms of the <paramref name="width"/> elements at <c>row</c>.</summary>
    public static void RenderInverse(KernelSource kernel, ElementFormat x, string width, int? knownWidth)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"{d.Vector} squares = {d.Zero};");
        w.Line("float tail = 0f;");
        kernel.ForLanes("i", "0", width, knownWidth,
            () =>
            {
                w.Line($"{d.Vector} v = {x.LoadVector(d, "row", "i")};");
                w.Line($"squares = {d.Fma("v", "v", "squares")};");
            },
            () =>
            {
                w.Line($"float s = {x.LoadScalar("row", "i")};");
                w.Line("tail = MathF.FusedMultiplyAdd(s, s, tail);");
            });
        w.Line($"float inv = (float)(1.0 / {d.Call(MathFunction.Sqrt, $"({d.Sum("squares")} + tail) / (double){width} + Eps")});");
    }

    /// <summary>Writes <c>outRow[i] = row[i] · inv · weight[i]</c> for the <paramref name="width"/> elements.</summary>
    public static void RenderScale(KernelSource kernel, ElementFormat x, ElementFormat weight, string width, int? knownWidth)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"{d.Vector} scale = {d.Splat("inv")};");
        kernel.ForLanes("i", "0", width, knownWidth,
            () => w.Line(d.Store($"{x.LoadVector(d, "row", "i")} * scale * {weight.LoadVector(d, "weight", "i")}", "outRow + i")),
            () => w.Line($"outRow[i] = {x.LoadScalar("row", "i")} * inv * {weight.LoadScalar("weight", "i")};"));
    }
}
