using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The softmax step the attention template takes over a chunk of scores
/// in shared memory, thread <c>lid</c> holding positions lid, lid + block, ... below <c>length</c>.
/// </summary>
public static class ChunkSoftmax
{
    /// <summary>
    /// Replaces each score by exp(score − <paramref name="max"/>) and returns the workgroup's sum of them (a reduction
    /// through the shared <paramref name="reduction"/>; see <see cref="GpuKernelSource.Reduce"/> for its reuse).
    /// </summary>
    public static string RenderExponentials(GpuKernelSource kernel, string scores, string max, string reduction)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line("float localSum = 0.0f;");
        using (w.Block($"for (int t = lid; t < length; t += {kernel.Shape.LocalSize})"))
        {
            w.Line($"float e = {d.Call(MathFunction.Exp, $"{scores}[t] - {max}")};");
            w.Line($"{scores}[t] = e;");
            w.Line("localSum += e;");
        }
        return kernel.Sum(reduction, "localSum", kernel.Shape.LocalSize);
    }
}
