using System.Globalization;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>soft_cap(x) {cap}</c> in the elementwise loop (<see cref="ElementwiseTemplate.RenderLoop"/>), as
/// cap · (2 / (1 + exp(−2x / cap)) − 1), which is cap · tanh(x / cap) written with the vector exp.
/// </summary>
public sealed class SoftCapTemplate : ICpuKernelTemplate
{
    public void Render(KernelSource kernel)
    {
        var cap = kernel.Instance.Attrs.GetDouble("cap");
        kernel.Constant("Cap", cap);
        kernel.Constant("ExpScale", -2 / cap);
        var d = kernel.Dialect;
        ElementwiseTemplate.RenderLoop(kernel, (isVector, names) => isVector
            ? $"{d.Splat("Cap")} * ({d.Splat("2f")} / ({d.Vector}.One + {d.Exp($"{names[0]} * {d.Splat("ExpScale")}")}) - {d.Vector}.One)"
            : $"Cap * (2f / (1f + MathF.Exp({names[0]} * ExpScale)) - 1f)");
    }
}
