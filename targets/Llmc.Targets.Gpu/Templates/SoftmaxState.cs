using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// A thread's online-softmax state over the chunks of a row's positions (<see cref="AttentionChunks"/>): the largest
/// score so far <c>runningMax</c>, the sum of exp(score − runningMax) <c>total</c>, and the weighted values of its head
/// dimensions <c>acc[PerThread]</c>. Chunks are folded in in position order, each with its own maximum, so a state
/// built in one workgroup and one built from chunks computed in separate workgroups (CUDA's split kernel) round the
/// same way. The first chunk folds into the empty state exactly (its weights are 0 and 1), so a row of one chunk keeps
/// the chunk's own values.
/// </summary>
public static class SoftmaxState
{
    /// <summary>Declares the empty state.</summary>
    public static void RenderEmpty(GpuKernelSource kernel)
    {
        var w = kernel.Writer;
        w.Line($"float runningMax = {kernel.Dialect.Float(double.NegativeInfinity)}, total = 0.0f;");
        w.Line("float acc[PerThread];");
        w.Line("for (int a = 0; a < PerThread; a++) acc[a] = 0.0f;");
    }

    /// <summary>
    /// Folds in a chunk's maximum and sum (float expressions), declaring the weights <c>keep</c> (of the state) and
    /// <c>take</c> (of the chunk) that <see cref="FoldPart"/> then applies to each head dimension.
    /// </summary>
    public static void RenderFold(GpuKernelSource kernel, string chunkMax, string chunkSum)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"float newMax = {d.Max("runningMax", chunkMax)};");
        w.Line($"float keep = {d.Call(MathFunction.Exp, "runningMax - newMax")}, take = {d.Call(MathFunction.Exp, $"{chunkMax} - newMax")};");
        w.Line("runningMax = newMax;");
        w.Line($"total = {d.Fma("total", "keep", $"{chunkSum} * take")};");
    }

    /// <summary>The statement folding a chunk's weighted value sum <paramref name="part"/> into <c>acc[a]</c>.</summary>
    public static string FoldPart(GpuKernelSource kernel, string part) => $"acc[a] = {kernel.Dialect.Fma("acc[a]", "keep", $"{part} * take")};";

    /// <summary>Stores the state's result, acc / total, for row <c>r</c> and head <c>h</c>.</summary>
    public static void RenderResult(GpuKernelSource kernel)
    {
        var w = kernel.Writer;
        using (w.Block("for (int a = 0; a < PerThread; a++)"))
        {
            w.Line($"int i = lid + a * {AttentionChunks.Threads};");
            w.Line($"if (i < HeadDim) {kernel.StoreResult("r * QueryWidth + h * HeadDim + i", "acc[a] / total")}");
        }
    }
}
