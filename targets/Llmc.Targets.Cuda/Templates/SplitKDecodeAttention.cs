using Llmc.Targets.Emit;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda.Templates;

/// <summary>
/// Decode attention (one query row) split along the cache (flash-decoding): workgroup (head, split) attends to one span of
/// <see cref="Span"/> positions and leaves its softmax maximum, sum and weighted values in a scratch array in global memory;
/// the last split of a head to finish (counted with an atomic) combines the partials, rescaling each by exp(max − overall
/// max). A long context then keeps every multiprocessor busy where one workgroup per head would use a few. The scratch
/// and counters are function-scope statics (global memory, zero at module load); the combining workgroup resets its
/// head's counter for the next launch. The row's own position is read from the k and v operands, which the split
/// holding it also writes into the caches (no other workgroup reads that position in this step).
/// </summary>
public sealed class SplitKDecodeAttention : ICudaVariant
{
    /// <summary>Positions per split, also the length of the per-split score array.</summary>
    public const int Span = 128;

    public string Condition => "seq == 1";

    public bool AppliesTo(KernelInstance instance) => true;

    public (int GroupsX, IReadOnlyList<SharedArray> Shared) Shape(KernelInstance instance, int localSize)
    {
        if (localSize % 32 != 0) throw new TargetException($"split-K attention needs whole warps, got a block of {localSize}");
        return (instance.Attrs.GetInt("n_heads") * Splits(instance),
        [
            new SharedArray("float", "splitQuery", instance.Attrs.GetInt("head_dim")),
            new SharedArray("float", "splitScores", Span),
            new SharedArray("float", "splitWarps", localSize / 32),
            new SharedArray("int", "splitLast", 1),
        ]);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var attrs = kernel.Instance.Attrs;
        int heads = attrs.GetInt("n_heads"), kvHeads = attrs.GetInt("n_kv_heads"), headDim = attrs.GetInt("head_dim");
        var splits = Splits(kernel.Instance);
        kernel.Constant("HeadDim", headDim);
        kernel.Constant("Group", heads / kvHeads);
        kernel.Constant("KvWidth", kvHeads * headDim);
        kernel.Constant("Splits", splits);
        kernel.Constant("Partial", headDim + 2);
        kernel.Constant("Scale", attrs.GetDouble("scale"));
        w.Line($"static float partials[{heads * splits * (headDim + 2)}];");
        w.Line($"static unsigned int arrivals[{heads}];");
        w.Line($"int item = {d.GroupX}, h = item / Splits, split = item % Splits, kv = h / Group, lid = {d.LocalId};");
        w.Line($"int position = {kernel.LoadInt(3, "0")}, start = split * {Span};");
        w.Line($"if (h >= {heads} || start > position) return;");
        w.Line($"int length = {d.Min($"{Span}", "position + 1 - start")}, active = position / {Span} + 1;");
        using (w.Block($"if (h % Group == 0 && position < start + {Span})"))
        using (w.Block($"for (int i = lid; i < HeadDim; i += {kernel.Shape.LocalSize})"))
        {
            w.Line($"{d.Word(4, "position * KvWidth + kv * HeadDim + i")} = {d.Word(1, "kv * HeadDim + i")};");
            w.Line($"{d.Word(5, "position * KvWidth + kv * HeadDim + i")} = {d.Word(2, "kv * HeadDim + i")};");
        }
        w.Line($"for (int i = lid; i < HeadDim; i += {kernel.Shape.LocalSize}) splitQuery[i] = {kernel.Load(0, "h * HeadDim + i")};");
        w.Line(d.Barrier);

        w.Line($"float localMax = {d.Float(double.NegativeInfinity)};");
        using (w.Block($"for (int t = lid; t < length; t += {kernel.Shape.LocalSize})"))
        {
            w.Line("int p = start + t;");
            w.Line("float dot = 0.0f;");
            w.Line($"if (p == position) for (int i = 0; i < HeadDim; i++) dot = {d.Fma("splitQuery[i]", kernel.Load(1, "kv * HeadDim + i"), "dot")};");
            w.Line($"else for (int i = 0; i < HeadDim; i++) dot = {d.Fma("splitQuery[i]", kernel.Load(4, "p * KvWidth + kv * HeadDim + i"), "dot")};");
            w.Line("splitScores[t] = dot * Scale;");
            w.Line($"localMax = {d.Max("localMax", "splitScores[t]")};");
        }
        w.Line($"float spanMax = {BlockReduce(kernel, CudaPrelude.WarpMax, "localMax", d.Max)};");
        w.Line("float localSum = 0.0f;");
        using (w.Block($"for (int t = lid; t < length; t += {kernel.Shape.LocalSize})"))
        {
            w.Line($"float e = {d.Call(MathFunction.Exp, "splitScores[t] - spanMax")};");
            w.Line("splitScores[t] = e;");
            w.Line("localSum += e;");
        }
        w.Line($"float spanSum = {BlockReduce(kernel, CudaPrelude.WarpSum, "localSum", (a, b) => $"{a} + {b}")};");
        w.Line("float* mine = partials + (h * Splits + split) * Partial;");
        using (w.Block($"for (int i = lid; i < HeadDim; i += {kernel.Shape.LocalSize})"))
        {
            w.Line("float s = 0.0f;");
            w.Line("for (int t = 0; t < length; t++)");
            w.Line($"    s = {d.Fma("splitScores[t]", $"(start + t == position ? {kernel.Load(2, "kv * HeadDim + i")} : {kernel.Load(5, "(start + t) * KvWidth + kv * HeadDim + i")})", "s")};");
            w.Line("mine[2 + i] = s;");
        }
        w.Line("if (lid == 0) { mine[0] = spanMax; mine[1] = spanSum; }");
        RenderCombine(kernel);
    }

    /// <summary>The last split of a head to arrive merges every split's partial into the result.</summary>
    private static void RenderCombine(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        // Publish this split's partial before counting it; the last arrival then sees every partial.
        w.Line("__threadfence();");
        w.Line(d.Barrier);
        w.Line("if (lid == 0) splitLast[0] = atomicAdd(&arrivals[h], 1u) == (unsigned int)(active - 1);");
        w.Line(d.Barrier);
        w.Line("if (!splitLast[0]) return;");
        w.Line("__threadfence();");
        w.Line("volatile float* all = partials + h * Splits * Partial;");
        w.Line($"float overall = {d.Float(double.NegativeInfinity)};");
        w.Line($"for (int s = 0; s < active; s++) overall = {d.Max("overall", "all[s * Partial]")};");
        w.Line("float total = 0.0f;");
        w.Line($"for (int s = 0; s < active; s++) total = {d.Fma("all[s * Partial + 1]", d.Call(MathFunction.Exp, "all[s * Partial] - overall"), "total")};");
        using (w.Block($"for (int i = lid; i < HeadDim; i += {kernel.Shape.LocalSize})"))
        {
            w.Line("float s = 0.0f;");
            w.Line($"for (int j = 0; j < active; j++) s = {d.Fma("all[j * Partial + 2 + i]", d.Call(MathFunction.Exp, "all[j * Partial] - overall"), "s")};");
            w.Line(kernel.StoreResult("h * HeadDim + i", "s / total"));
        }
        w.Line("if (lid == 0) arrivals[h] = 0u;");
    }

    /// <summary>Reduces a per-thread value over the workgroup: warp shuffles, then the warps' results through shared memory.</summary>
    private static string BlockReduce(GpuKernelSource kernel, string warpReduce, string value, Func<string, string, string> combine)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var warps = kernel.Shape.LocalSize / 32;
        w.Line($"float {value}Warp = {warpReduce}({value});");
        w.Line($"if ((lid & 31) == 0) splitWarps[lid >> 5] = {value}Warp;");
        w.Line(d.Barrier);
        w.Line($"float {value}All = splitWarps[0];");
        w.Line($"for (int i = 1; i < {warps}; i++) {value}All = {combine($"{value}All", "splitWarps[i]")};");
        w.Line(d.Barrier);
        return $"{value}All";
    }

    private static int Splits(KernelInstance instance) => (instance.Operands[4][0].Size + Span - 1) / Span;
}
