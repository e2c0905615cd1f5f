using Llmc.Targets.Emit;
using Llmc.Targets.Gpu;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Cuda.Templates;

/// <summary>
/// Decode attention (one query row) split along the cache (flash-decoding), for <c>attention</c> and, with
/// <paramref name="rotary"/>, <c>attention_rope</c> (<see cref="AttentionOperands"/>: the operands, head geometry and
/// rotation of the shared template; caches through <see cref="KvCacheAccess"/>). Workgroup (head, split) attends to
/// one span of <see cref="Span"/> positions and leaves its softmax maximum, sum and weighted values in a scratch array
/// in global memory; the last split of a head to finish (counted with an atomic) combines the partials, rescaling each by
/// exp(max − overall max). A long context then keeps every multiprocessor busy where one workgroup per head would use a
/// few. The scratch and counters are function-scope statics (global memory, zero at module load); the combining
/// workgroup resets its head's counter for the next launch. Splits cover positions 0..context − 1 (the <c>context</c>
/// attribute), read through row 0's block table (<see cref="AttentionOperands.PoolRow"/>), each split keeping its
/// positions' pool rows in shared memory. The row's own position is read from the operands: the split holding it keeps
/// the (rotated) key in shared memory and writes key and value into the caches at that position's pool row (no other
/// workgroup reads that position in this step).
/// </summary>
public sealed class SplitKDecodeAttention(bool rotary) : ICudaVariant
{
    /// <summary>Positions per split, also the length of the per-split score array.</summary>
    public const int Span = 128;

    private readonly AttentionOperands _operands = new(rotary);

    public string Condition => "seq == 1";

    /// <summary>f32 caches only; other cache formats take the shared template, which says whether it can store them.</summary>
    public bool AppliesTo(KernelInstance instance) =>
        instance.Operands.Where((_, i) => !_operands.IsIndex(i)).All(t => t.DType == Ir.DType.F32);

    public (int GroupsX, IReadOnlyList<SharedArray> Shared) Shape(KernelInstance instance, int localSize)
    {
        if (localSize % 32 != 0) throw new TargetException($"split-K attention needs whole warps, got a block of {localSize}");
        var headDim = instance.Attrs.GetInt("head_dim");
        return (instance.Attrs.GetInt("n_heads") * Splits(instance),
        [
            new SharedArray("float", "splitQuery", headDim),
            new SharedArray("float", "splitKey", headDim),
            new SharedArray("float", "splitScores", Span),
            new SharedArray("int", "splitRows", Span),
            new SharedArray("float", "splitWarps", localSize / 32),
            new SharedArray("int", "splitLast", 1),
        ]);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var attrs = kernel.Instance.Attrs;
        int heads = attrs.GetInt("n_heads"), headDim = attrs.GetInt("head_dim"), threads = kernel.Shape.LocalSize, splits = Splits(kernel.Instance);
        var cache = KvCacheAccess.For(kernel.Instance.Operands[_operands.KeyCache]);
        _operands.RenderConstants(kernel);
        cache.RenderConstants(kernel);
        kernel.Constant("Splits", splits);
        kernel.Constant("Partial", headDim + 2);
        w.Line($"static float partials[{heads * splits * (headDim + 2)}];");
        w.Line($"static unsigned int arrivals[{heads}];");
        w.Line($"int item = {d.GroupX}, h = item / Splits, split = item % Splits, kv = h / Group, lid = {d.LocalId};");
        w.Line($"int position = {kernel.LoadInt(_operands.Positions, "0")}, tableStart = {kernel.LoadInt(_operands.RowBlocks, "0")}, start = split * {Span};");
        w.Line($"if (h >= {heads} || start > position) return;");
        w.Line($"int length = {d.Min($"{Span}", "position + 1 - start")}, active = position / {Span} + 1;");
        w.Line($"bool holdsPosition = position < start + {Span};");
        w.Line("int keyAt = KeyOffset + kv * HeadDim, valueAt = ValueOffset + kv * HeadDim;");
        _operands.RenderHead(kernel, "splitQuery", _operands.Query, "h * HeadDim", "position", threads);
        using (w.Block("if (holdsPosition)"))
            _operands.RenderHead(kernel, "splitKey", _operands.Key, "keyAt", "position", threads);
        w.Line(d.Barrier);
        using (w.Block("if (holdsPosition && h % Group == 0)"))
        {
            w.Line($"int slot = {_operands.PoolRow(kernel, "tableStart", "position")};");
            cache.RenderStore(kernel, _operands.KeyCache, "slot", threads, i => $"splitKey[{i}]");
            cache.RenderStore(kernel, _operands.ValueCache, "slot", threads, i => kernel.Load(_operands.Value, $"valueAt + {i}"));
        }

        w.Line($"float localMax = {d.Float(double.NegativeInfinity)};");
        using (w.Block($"for (int t = lid; t < length; t += {threads})"))
        {
            w.Line($"int p = start + t, at = {_operands.PoolRow(kernel, "tableStart", "p")};");
            w.Line("splitRows[t] = at;");
            w.Line("float dot = 0.0f;");
            w.Line($"if (p == position) for (int i = 0; i < HeadDim; i++) dot = {d.Fma("splitQuery[i]", "splitKey[i]", "dot")};");
            w.Line($"else for (int i = 0; i < HeadDim; i++) dot = {d.Fma("splitQuery[i]", cache.Element(kernel, _operands.KeyCache, "at", "i"), "dot")};");
            w.Line("splitScores[t] = dot * Scale;");
            w.Line($"localMax = {d.Max("localMax", "splitScores[t]")};");
        }
        // The barrier after each reduction: the next one reuses splitWarps, and the values below read every score and pool row.
        w.Line($"float spanMax = {kernel.Reduce("splitWarps", "localMax", threads, d.Max)};");
        w.Line(d.Barrier);
        w.Line($"float spanSum = {ChunkSoftmax.RenderExponentials(kernel, "splitScores", "spanMax", "splitWarps")};");
        w.Line(d.Barrier);
        w.Line("float* mine = partials + (h * Splits + split) * Partial;");
        using (w.Block($"for (int i = lid; i < HeadDim; i += {threads})"))
        {
            w.Line("float s = 0.0f;");
            var value = $"(start + t == position ? {kernel.Load(_operands.Value, "valueAt + i")} : {cache.Element(kernel, _operands.ValueCache, "splitRows[t]", "i")})";
            w.Line($"for (int t = 0; t < length; t++) s = {d.Fma("splitScores[t]", value, "s")};");
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

    private static int Splits(KernelInstance instance) => (instance.Attrs.GetInt("context") + Span - 1) / Span;
}
