using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// What a GPU attention workgroup does for one query head of one row, in chunks of <see cref="Chunk"/> positions:
/// the setup (the row's cache write, its query head in shared memory, the positions it reads) and each chunk's
/// softmax state (maximum, sum of exponentials, weighted values), for <c>attention</c>, <c>attention_rope</c> and
/// <c>attention_qk_norm_rope</c> (<see cref="AttentionOperands"/>). The whole-row kernel (<see cref="AttentionTemplate"/>)
/// folds the chunks into one state in order; CUDA's split kernel computes chunks in separate workgroups and folds their
/// states in the same order with the same arithmetic (<see cref="SoftmaxMerge"/>), so both give a row the same bits.
/// Workgroups cannot wait for each other within a dispatch, so positions this step writes are read from the operands
/// instead of the caches: a chunk's positions are first looked up in the pool through the block table, then every row
/// of the step that belongs to the same sequence (equal <c>row_blocks</c>) and writes a position of the chunk claims
/// it (<see cref="RenderSources"/>), so a step's rows may come in any order, a sequence's rows apart and at any
/// positions. Chunks wholly before the earliest position the step writes for the sequence skip that search.
/// Caches are f32 or kv8 (<see cref="KvCacheAccess"/>).
/// </summary>
public sealed class AttentionChunks(bool rotary, bool qkNorm)
{
    /// <summary>Threads of a workgroup: one position each while scoring, one head dimension each while weighting values.</summary>
    public const int Threads = 64;

    /// <summary>Positions of a chunk.</summary>
    public const int Chunk = 256;

    private readonly AttentionOperands _operands = new(rotary, qkNorm);

    /// <summary>The shared arrays every chunk uses.</summary>
    public IReadOnlyList<SharedArray> Shared(KernelInstance instance)
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
        return KvCacheAccess.For(instance.Operands[_operands.KeyCache]).Int8
            ? [.. shared, new("float", "valueScale", Chunk), new("float", "valueInverse", Chunk)]
            : shared;
    }

    /// <summary>
    /// With <c>h</c> (query head) and <c>r</c> (row) declared: the constants, <c>kv</c>, <c>lid</c>, the row's
    /// <c>position</c> and <c>tableStart</c>; where <paramref name="writesCache"/> holds (a condition the same for the
    /// whole workgroup) the first head of each kv group writes the row's key and value into the caches; the query head in
    /// <c>query</c>; the positions to read, <c>first</c> (the window's start) up to <c>count</c>; and <c>freshFirst</c>.
    /// </summary>
    public void RenderSetup(GpuKernelSource kernel, string writesCache)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var operands = kernel.Instance.Operands;
        if (operands.Where((_, i) => !_operands.IsIndex(i) && i != _operands.KeyCache && i != _operands.ValueCache).Any(t => t.DType != DType.F32))
            throw new TargetException("the GPU attention kernel reads f32 activations only");
        var cache = Cache(kernel);
        _operands.RenderConstants(kernel);
        kernel.Constant("PerThread", (kernel.Instance.Attrs.GetInt("head_dim") + Threads - 1) / Threads);
        cache.RenderConstants(kernel);
        if (kernel.Instance.Attrs.ContainsKey("softcap")) kernel.Constant("Softcap", kernel.Instance.Attrs.GetDouble("softcap"));
        w.Line($"int kv = h / Group, lid = {d.LocalId};");
        w.Line($"int position = {kernel.LoadInt(_operands.Positions, "r")}, tableStart = {kernel.LoadInt(_operands.RowBlocks, "r")};");
        RenderCacheWrite(kernel, cache, writesCache);
        w.Line("int queryAt = r * QueryStride + h * HeadDim;");
        _operands.RenderHead(kernel, "query", _operands.Query, "queryAt", "position", Threads, _operands.QueryNorm);
        w.Line(d.Barrier);
        w.Line($"int count = {d.Min("position + 1", "Context")};");
        // With a sliding window the chunks start at the row's first visible position (AttentionWindow).
        var first = "0";
        if (AttentionWindow.Of(kernel.Instance.Attrs) is { } window)
        {
            kernel.Constant("Window", window);
            first = d.Max("0", "position + 1 - Window");
        }
        w.Line($"int first = {first};");
        RenderEarliestFresh(kernel);
    }

    /// <summary>
    /// The chunk of positions <c>t0</c> .. <c>t0 + length − 1</c>: declares <c>chunkMax</c> and <c>chunkSum</c> (its
    /// scores' maximum and the sum of exp(score − chunkMax)), runs <paramref name="afterSum"/>, then, for each of the
    /// thread's head dimensions <c>i</c> (the <c>a</c>-th), declares <c>part</c> (the chunk's values weighted by those
    /// exponentials, summed in position order) and runs <paramref name="usePart"/>. Ends with a barrier, so the next
    /// chunk may reuse the shared arrays.
    /// </summary>
    public void RenderChunk(GpuKernelSource kernel, Action afterSum, Action usePart)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var cache = Cache(kernel);
        RenderSources(kernel);
        RenderScores(kernel, cache);
        w.Line($"float chunkMax = {kernel.Reduce("partial", "localMax", Threads, d.Max)};");
        w.Line(d.Barrier);
        w.Line($"float chunkSum = {ChunkSoftmax.RenderExponentials(kernel, "scores", "chunkMax", "partial")};");
        afterSum();
        using (w.Block("for (int a = 0; a < PerThread; a++)"))
        {
            w.Line($"int i = lid + a * {Threads};");
            w.Line("if (i >= HeadDim) break;");
            w.Line("float part = 0.0f;");
            using (w.Block("for (int t = 0; t < length; t++)"))
            {
                w.Line("int at = source[t];");
                var fresh = cache.Fresh(kernel, kernel.Load(_operands.Value, "ValueOffset + (-1 - at) * KeyStride + kv * HeadDim + i"), "valueScale[t]", "valueInverse[t]");
                w.Line($"float value = at >= 0 ? {cache.Element(kernel, _operands.ValueCache, "at", "i")} : {fresh};");
                w.Line($"part = {d.Fma("scores[t]", "value", "part")};");
            }
            usePart();
        }
        w.Line(d.Barrier);
    }

    private KvCacheAccess Cache(GpuKernelSource kernel) => KvCacheAccess.For(kernel.Instance.Operands[_operands.KeyCache]);

    /// <summary>
    /// The first head of each group stages row r's k (rotated with rotary), then v, in shared memory and stores each
    /// into its cache at the pool row of the row's position; the condition is the same for the whole workgroup, so its
    /// barriers are reached by all.
    /// </summary>
    private void RenderCacheWrite(GpuKernelSource kernel, KvCacheAccess cache, string writesCache)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block($"if ({writesCache} && h % Group == 0 && position >= 0 && position < Context)"))
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
}
