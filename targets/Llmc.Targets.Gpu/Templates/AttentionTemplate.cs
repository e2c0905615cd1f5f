using System.Globalization;
using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>attention(q, k, v, positions, block_tables, row_blocks, k_cache, v_cache)</c> and, with <paramref name="rotary"/>,
/// <c>attention_rope(qkv, positions, inv_freq, block_tables, row_blocks, k_cache, v_cache)</c>
/// (<see cref="AttentionOperands"/>): one workgroup per (query head, row). The first query head of each kv group writes
/// the row's k and v into the caches at the pool row of its position. Workgroups cannot wait for each other within a
/// dispatch, so positions this step writes are read from the operands instead of the caches: a chunk's positions are
/// first looked up in the pool through the block table, then every row of the step that belongs to the same sequence
/// (equal <c>row_blocks</c>) and writes a position of the chunk claims it (<see cref="RenderSources"/>), so a step's rows
/// may come in any order, a sequence's rows apart and at any positions. Chunks wholly before the earliest position the
/// step writes for the sequence skip that search. Softmax is online over chunks: threads compute the scores of the
/// chunk's positions (one position each), workgroup reductions give the chunk's maximum and sum, then each thread
/// accumulates its own head dimensions over the chunk.
/// Caches are f32 or kv8 (<see cref="KvCacheAccess"/>).
/// </summary>
public sealed class AttentionTemplate(bool rotary = false, bool qkNorm = false) : IGpuKernelTemplate
{
    private const int Threads = 64;
    private const int Chunk = 256;

    private readonly AttentionOperands _operands = new(rotary, qkNorm);

    public GpuKernelShape Shape(KernelInstance instance)
    {
        var headDim = instance.Attrs.GetInt("head_dim");
        SharedArray[] shared =
        [
            new("float", "query", headDim),
            new("float", "stage", headDim),
            new("float", "scores", Chunk),
            new("int", "source", Chunk),
            new("float", "partial", Threads),
        ];
        if (KvCacheAccess.For(instance.Operands[_operands.KeyCache]).Int8)
            shared = [.. shared, new("float", "valueScale", Chunk), new("float", "valueInverse", Chunk)];
        return new GpuKernelShape(Threads, instance.Attrs.GetInt("n_heads"), instance.Result[0], shared);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var operands = kernel.Instance.Operands;
        if (operands.Where((_, i) => !_operands.IsIndex(i) && i != _operands.KeyCache && i != _operands.ValueCache).Any(t => t.DType != DType.F32))
            throw new TargetException("the GPU attention kernel reads f32 activations only");
        var cache = KvCacheAccess.For(operands[_operands.KeyCache]);
        _operands.RenderConstants(kernel);
        kernel.Constant("PerThread", (kernel.Instance.Attrs.GetInt("head_dim") + Threads - 1) / Threads);
        cache.RenderConstants(kernel);
        if (kernel.Instance.Attrs.ContainsKey("softcap")) kernel.Constant("Softcap", kernel.Instance.Attrs.GetDouble("softcap"));
        w.Line($"int h = {d.GroupX}, r = {d.GroupY}, kv = h / Group, lid = {d.LocalId};");
        w.Line($"int position = {kernel.LoadInt(_operands.Positions, "r")}, tableStart = {kernel.LoadInt(_operands.RowBlocks, "r")};");
        RenderCacheWrite(kernel, cache);
        w.Line("int queryAt = r * QueryStride + h * HeadDim;");
        _operands.RenderHead(kernel, "query", _operands.Query, "queryAt", "position", Threads, _operands.QueryNorm);
        w.Line(d.Barrier);
        w.Line($"float runningMax = {d.Float(double.NegativeInfinity)}, total = 0.0f;");
        w.Line("float acc[PerThread];");
        w.Line("for (int a = 0; a < PerThread; a++) acc[a] = 0.0f;");
        w.Line($"int count = {d.Min("position + 1", "Context")};");
        // With a sliding window the chunks start at the row's first visible position (AttentionWindow).
        var first = "0";
        if (AttentionWindow.Of(kernel.Instance.Attrs) is { } window)
        {
            kernel.Constant("Window", window);
            first = d.Max("0", "position + 1 - Window");
        }
        RenderEarliestFresh(kernel);
        using (w.Block($"for (int t0 = {first}; t0 < count; t0 += {Chunk})"))
        {
            w.Line($"int length = {d.Min(Chunk.ToString(CultureInfo.InvariantCulture), "count - t0")};");
            RenderSources(kernel);
            RenderScores(kernel, cache);
            var blockMax = kernel.Reduce("partial", "localMax", Threads, d.Max);
            w.Line($"float newMax = {d.Max("runningMax", blockMax)};");
            w.Line(d.Barrier);
            w.Line($"float correction = {d.Call(MathFunction.Exp, "runningMax - newMax")};");
            w.Line("runningMax = newMax;");
            var blockSum = ChunkSoftmax.RenderExponentials(kernel, "scores", "newMax", "partial");
            w.Line($"total = {d.Fma("total", "correction", blockSum)};");
            RenderValues(kernel, cache);
            w.Line(d.Barrier);
        }
        using (w.Block("for (int a = 0; a < PerThread; a++)"))
        {
            w.Line($"int i = lid + a * {Threads};");
            w.Line($"if (i < HeadDim) {kernel.StoreResult("r * QueryWidth + h * HeadDim + i", "acc[a] / total")}");
        }
    }

    /// <summary>
    /// The first head of each group stages row r's k (rotated with rotary), then v, in shared memory and stores each
    /// into its cache at the pool row of the row's position; the condition is the same for the whole workgroup, so its
    /// barriers are reached by all.
    /// </summary>
    private void RenderCacheWrite(GpuKernelSource kernel, KvCacheAccess cache)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block("if (h % Group == 0 && position >= 0 && position < Context)"))
        {
            w.Line($"int slot = {_operands.PoolRow(kernel, "tableStart", "position")}, from = r * KeyStride + kv * HeadDim;");
            _operands.RenderHead(kernel, "stage", _operands.Key, "KeyOffset + from", "position", Threads, _operands.KeyNorm);
            w.Line(d.Barrier);
            cache.RenderStore(kernel, _operands.KeyCache, "slot", Threads, i => $"stage[{i}]");
            w.Line(d.Barrier);
            w.Line($"for (int i = lid; i < HeadDim; i += {Threads}) stage[i] = {kernel.Load(_operands.Value, "ValueOffset + from + i")};");
            w.Line(d.Barrier);
            cache.RenderStore(kernel, _operands.ValueCache, "slot", Threads, i => $"stage[{i}]");
            w.Line(d.Barrier);
        }
    }

    /// <summary>
    /// <c>freshFirst</c>: the earliest position the step's rows of this row's sequence write (at most the row's own),
    /// found by the whole workgroup over every row of the step.
    /// </summary>
    private void RenderEarliestFresh(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        // As a float for the workgroup reduction: positions are below the context, exact in f32.
        w.Line($"float localFirst = {d.Cast("float", "position")};");
        using (w.Block($"for (int j = lid; j < {StepRows(kernel)}; j += {Threads})"))
            w.Line($"if ({kernel.LoadInt(_operands.RowBlocks, "j")} == tableStart) localFirst = {d.Min("localFirst", d.Cast("float", kernel.LoadInt(_operands.Positions, "j")))};");
        w.Line($"int freshFirst = {d.Cast("int", kernel.Reduce("partial", "localFirst", Threads, d.Min))};");
        // The chunks' reductions reuse the shared array.
        w.Line(d.Barrier);
    }

    /// <summary>The step's row count, as an int expression.</summary>
    private string StepRows(GpuKernelSource kernel) => kernel.Size(kernel.Instance.Operands[_operands.Positions][0]);

    /// <summary>
    /// Where each position t0 + t of the chunk comes from, in <c>source[t]</c>: its pool row (≥ 0), or −1 − the row of
    /// this step that writes it, which each such row of the sequence claims for itself. The branch is the same for the
    /// whole workgroup, so its barrier is reached by all.
    /// </summary>
    private void RenderSources(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"for (int t = lid; t < length; t += {Threads}) source[t] = {_operands.PoolRow(kernel, "tableStart", "t0 + t")};");
        using (w.Block("if (t0 + length > freshFirst)"))
        {
            w.Line(d.Barrier);
            using (w.Block($"for (int j = lid; j < {StepRows(kernel)}; j += {Threads})"))
            {
                w.Line($"int t = {kernel.LoadInt(_operands.Positions, "j")} - t0;");
                w.Line($"if (t >= 0 && t < length && {kernel.LoadInt(_operands.RowBlocks, "j")} == tableStart) source[t] = -1 - j;");
            }
        }
        w.Line(d.Barrier);
    }

    /// <summary>
    /// Each thread's positions of the chunk: its key, from the row of this step that writes it or from the pool
    /// (<c>source</c>), its scaled score, and their maximum.
    /// </summary>
    private void RenderScores(GpuKernelSource kernel, KvCacheAccess cache)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"float localMax = {d.Float(double.NegativeInfinity)};");
        using (w.Block($"for (int t = lid; t < length; t += {Threads})"))
        {
            w.Line("int p = t0 + t, writer = -1 - source[t];");
            w.Line("bool fresh = writer >= 0;");
            w.Line("float dot = 0.0f;");
            using (w.Block("if (fresh)"))
            {
                w.Line("int keyAt = KeyOffset + writer * KeyStride + kv * HeadDim;");
                if (cache.Int8)
                {
                    w.Line("float keyMax = 0.0f;");
                    RenderFreshKey(kernel, (key, _) => w.Line($"keyMax = {d.Max("keyMax", d.Abs(key))};"));
                    KvCacheAccess.RenderRounding(kernel, "keyMax", "keyScale", "keyInverse");
                    w.Line("int valueAt = ValueOffset + writer * KeyStride + kv * HeadDim;");
                    w.Line("float valueMax = 0.0f;");
                    w.Line($"for (int i = 0; i < HeadDim; i++) valueMax = {d.Max("valueMax", d.Abs(kernel.Load(_operands.Value, "valueAt + i")))};");
                    KvCacheAccess.RenderRounding(kernel, "valueMax", "freshScale", "freshInverse");
                    w.Line("valueScale[t] = freshScale;");
                    w.Line("valueInverse[t] = freshInverse;");
                }
                RenderFreshKey(kernel, (key, i) => w.Line($"dot = {d.Fma($"query[{i}]", cache.Fresh(kernel, key, "keyScale", "keyInverse"), "dot")};"));
            }
            using (w.Block("else"))
            {
                w.Line("int at = source[t];");
                w.Line($"for (int i = 0; i < HeadDim; i++) dot = {d.Fma("query[i]", cache.Element(kernel, _operands.KeyCache, "at", "i"), "dot")};");
            }
            w.Line(kernel.Instance.Attrs.ContainsKey("softcap")
                ? $"scores[t] = Softcap * {d.Call(MathFunction.Tanh, "dot * Scale / Softcap")};"
                : "scores[t] = dot * Scale;");
            w.Line($"localMax = {d.Max("localMax", "scores[t]")};");
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(name, index) over the fresh key row at <c>keyAt</c> (rotated for position
    /// <c>p</c> with rotary), in index order.
    /// </summary>
    private void RenderFreshKey(GpuKernelSource kernel, Action<string, string> body)
    {
        var w = kernel.Writer;
        if (!rotary)
        {
            using (w.Block("for (int i = 0; i < HeadDim; i++)"))
            {
                w.Line($"float key = {kernel.Load(_operands.Key, "keyAt + i")};");
                body("key", "i");
            }
            return;
        }
        // Dimensions in index order, as a cached key is read: the first of each rotated pair, then the second. A
        // score summed in another order rounds differently, and whether a position is fresh depends on how the
        // scheduler chunked its sequence, so batching would change results.
        using (w.Block(""))
        {
            _operands.RenderHeadInverseRms(kernel, _operands.Key, "keyAt");
            foreach (var (name, index) in new[] { ("k0", "i"), ("k1", "i + Half") })
                using (w.Block("for (int i = 0; i < Half; i++)"))
                {
                    _operands.RenderRotatedPair(kernel, "p", _operands.Key, "keyAt", _operands.KeyNorm, "k0", "k1");
                    body(name, index);
                }
        }
    }

    /// <summary>Each thread's head dimensions: rescaled by the correction, plus the chunk's weighted values.</summary>
    private void RenderValues(GpuKernelSource kernel, KvCacheAccess cache)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block("for (int a = 0; a < PerThread; a++)"))
        {
            w.Line($"int i = lid + a * {Threads};");
            w.Line("if (i >= HeadDim) break;");
            w.Line("float s = acc[a] * correction;");
            using (w.Block("for (int t = 0; t < length; t++)"))
            {
                w.Line("int at = source[t];");
                var fresh = cache.Fresh(kernel, kernel.Load(_operands.Value, "ValueOffset + (-1 - at) * KeyStride + kv * HeadDim + i"), "valueScale[t]", "valueInverse[t]");
                w.Line($"float value = at >= 0 ? {cache.Element(kernel, _operands.ValueCache, "at", "i")} : {fresh};");
                w.Line($"s = {d.Fma("scores[t]", "value", "s")};");
            }
            w.Line("acc[a] = s;");
        }
    }
}
