using System.Globalization;
using Llmc.Ir;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>attention(q, k, v, positions, k_cache, v_cache)</c> and, with <paramref name="rotary"/>,
/// <c>attention_rope(qkv, positions, inv_freq, k_cache, v_cache)</c> (q, k and v side by side in each qkv row, q and
/// k rotated here by <see cref="Rotary"/>): one workgroup per (query head, row). The first query head of each kv
/// group writes the row's k and v into the caches at its position. Workgroups cannot wait for each other within a
/// dispatch, so positions this step writes are read from the operands instead of the caches: the runtime's rows of a
/// step have consecutive positions, so position p is row p − positions[0] when that row's position is p. Softmax is
/// online over chunks of positions: threads compute a chunk's scores (one position each), shared-memory trees give
/// the chunk's maximum and sum, then each thread accumulates its own head dimensions over the chunk. Caches are f32
/// or kv8 (<see cref="KvCacheAccess"/>).
/// </summary>
public sealed class AttentionTemplate(bool rotary = false) : IGpuKernelTemplate
{
    private const int Threads = 64;
    private const int Chunk = 256;

    // Operand numbers: q, k, v (one operand with rotary), positions, inv_freq (rotary), caches.
    private int QueryArgument => 0;
    private int KeyArgument => rotary ? 0 : 1;
    private int ValueArgument => rotary ? 0 : 2;
    private int PositionsArgument => rotary ? 1 : 3;
    private int FrequencyArgument => 2;
    private int KeyCacheArgument => rotary ? 3 : 4;
    private int ValueCacheArgument => rotary ? 4 : 5;

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
        if (KvCacheAccess.For(instance.Operands[KeyCacheArgument]).Int8)
            shared = [.. shared, new("float", "valueScale", Chunk), new("float", "valueInverse", Chunk)];
        return new GpuKernelShape(Threads, instance.Attrs.GetInt("n_heads"), instance.Result[0], shared);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var attrs = kernel.Instance.Attrs;
        int heads = attrs.GetInt("n_heads"), kvHeads = attrs.GetInt("n_kv_heads"), headDim = attrs.GetInt("head_dim");
        var operands = kernel.Instance.Operands;
        if (operands.Where((_, i) => i != PositionsArgument && i != KeyCacheArgument && i != ValueCacheArgument).Any(t => t.DType != DType.F32))
            throw new TargetException("the GPU attention kernel reads f32 activations only");
        var cache = KvCacheAccess.For(operands[KeyCacheArgument]);
        int queryWidth = heads * headDim, kvWidth = kvHeads * headDim;
        kernel.Constant("HeadDim", headDim);
        kernel.Constant("Half", headDim / 2);
        kernel.Constant("Group", heads / kvHeads);
        kernel.Constant("QueryWidth", queryWidth);
        kernel.Constant("KvWidth", kvWidth);
        kernel.Constant("KvHeads", kvHeads);
        kernel.Constant("QueryStride", rotary ? queryWidth + 2 * kvWidth : queryWidth);
        kernel.Constant("KeyStride", rotary ? queryWidth + 2 * kvWidth : kvWidth);
        kernel.Constant("KeyOffset", rotary ? queryWidth : 0);
        kernel.Constant("ValueOffset", rotary ? queryWidth + kvWidth : 0);
        kernel.Constant("Context", kernel.Instance.Operands[KeyCacheArgument][0].Size);
        kernel.Constant("PerThread", (headDim + Threads - 1) / Threads);
        kernel.Constant("Scale", attrs.GetDouble("scale"));
        cache.RenderConstants(kernel);
        w.Line($"int h = {d.GroupX}, r = {d.GroupY}, kv = h / Group, lid = {d.LocalId};");
        w.Line($"int rows = {kernel.Size(kernel.Instance.Operands[PositionsArgument][0])};");
        w.Line($"int first = {kernel.LoadInt(PositionsArgument, "0")}, position = {kernel.LoadInt(PositionsArgument, "r")};");
        RenderCacheWrite(kernel, cache);
        RenderQuery(kernel);
        w.Line(d.Barrier);
        w.Line($"float runningMax = {d.Float(double.NegativeInfinity)}, total = 0.0f;");
        w.Line("float acc[PerThread];");
        w.Line("for (int a = 0; a < PerThread; a++) acc[a] = 0.0f;");
        w.Line($"int count = {d.Min("position + 1", "Context")};");
        using (w.Block($"for (int t0 = 0; t0 < count; t0 += {Chunk})"))
        {
            w.Line($"int length = {d.Min(Chunk.ToString(CultureInfo.InvariantCulture), "count - t0")};");
            RenderScores(kernel, cache);
            var blockMax = kernel.Reduce("partial", "localMax", Threads, d.Max);
            w.Line($"float newMax = {d.Max("runningMax", blockMax)};");
            w.Line(d.Barrier);
            w.Line($"float correction = {d.Call(MathFunction.Exp, "runningMax - newMax")};");
            w.Line("runningMax = newMax;");
            w.Line("float localSum = 0.0f;");
            using (w.Block($"for (int t = lid; t < length; t += {Threads})"))
            {
                w.Line($"float e = {d.Call(MathFunction.Exp, "scores[t] - newMax")};");
                w.Line("scores[t] = e;");
                w.Line("localSum += e;");
            }
            var blockSum = kernel.Sum("partial", "localSum", Threads);
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
    /// into its cache; the condition is the same for the whole workgroup, so its barriers are reached by all.
    /// </summary>
    private void RenderCacheWrite(GpuKernelSource kernel, KvCacheAccess cache)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block("if (h % Group == 0 && position >= 0 && position < Context)"))
        {
            w.Line("int from = r * KeyStride + kv * HeadDim;");
            if (rotary)
            {
                using (w.Block($"for (int i = lid; i < Half; i += {Threads})"))
                {
                    RenderRotation(kernel, "position", KeyArgument, "KeyOffset + from", "k0", "k1");
                    w.Line("stage[i] = k0;");
                    w.Line("stage[i + Half] = k1;");
                }
            }
            else
            {
                w.Line($"for (int i = lid; i < HeadDim; i += {Threads}) stage[i] = {kernel.Load(KeyArgument, "KeyOffset + from + i")};");
            }
            w.Line(d.Barrier);
            cache.RenderStore(kernel, KeyCacheArgument, Threads);
            w.Line(d.Barrier);
            w.Line($"for (int i = lid; i < HeadDim; i += {Threads}) stage[i] = {kernel.Load(ValueArgument, "ValueOffset + from + i")};");
            w.Line(d.Barrier);
            cache.RenderStore(kernel, ValueCacheArgument, Threads);
            w.Line(d.Barrier);
        }
    }

    /// <summary>Row r's query for head h into shared memory, rotated with rotary.</summary>
    private void RenderQuery(GpuKernelSource kernel)
    {
        var w = kernel.Writer;
        w.Line("int queryAt = r * QueryStride + h * HeadDim;");
        if (!rotary)
        {
            w.Line($"for (int i = lid; i < HeadDim; i += {Threads}) query[i] = {kernel.Load(QueryArgument, "queryAt + i")};");
            return;
        }
        using (w.Block($"for (int i = lid; i < Half; i += {Threads})"))
        {
            RenderRotation(kernel, "position", QueryArgument, "queryAt", "q0", "q1");
            w.Line("query[i] = q0;");
            w.Line("query[i + Half] = q1;");
        }
    }

    /// <summary>Declares <paramref name="first"/>, <paramref name="second"/>: pair i of the head at <paramref name="at"/>, rotated for <paramref name="position"/>.</summary>
    private void RenderRotation(GpuKernelSource kernel, string position, int argument, string at, string first, string second)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        Rotary.RenderAngle(kernel, d.Cast("float", position), kernel.Load(FrequencyArgument, "i"), "c", "s");
        w.Line($"float x0 = {kernel.Load(argument, $"{at} + i")}, x1 = {kernel.Load(argument, $"{at} + i + Half")};");
        w.Line($"float {first} = {d.Fma("x0", "c", "-(x1 * s)")}, {second} = {d.Fma("x1", "c", "x0 * s")};");
    }

    /// <summary>Each thread's positions of the chunk: where the key comes from, its scaled score, and their maximum.</summary>
    private void RenderScores(GpuKernelSource kernel, KvCacheAccess cache)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"float localMax = {d.Float(double.NegativeInfinity)};");
        using (w.Block($"for (int t = lid; t < length; t += {Threads})"))
        {
            w.Line("int p = t0 + t, fresh = p - first;");
            w.Line("int from = -1;");
            w.Line($"if (fresh >= 0 && fresh < rows && {kernel.LoadInt(PositionsArgument, "fresh")} == p) from = fresh;");
            w.Line("source[t] = from;");
            w.Line("float dot = 0.0f;");
            using (w.Block("if (from >= 0)"))
            {
                w.Line("int keyAt = KeyOffset + from * KeyStride + kv * HeadDim;");
                if (cache.Int8)
                {
                    w.Line("float keyMax = 0.0f;");
                    RenderFreshKey(kernel, (key, _) => w.Line($"keyMax = {d.Max("keyMax", d.Abs(key))};"));
                    KvCacheAccess.RenderRounding(kernel, "keyMax", "keyScale", "keyInverse");
                    w.Line("int valueAt = ValueOffset + from * KeyStride + kv * HeadDim;");
                    w.Line("float valueMax = 0.0f;");
                    w.Line($"for (int i = 0; i < HeadDim; i++) valueMax = {d.Max("valueMax", d.Abs(kernel.Load(ValueArgument, "valueAt + i")))};");
                    KvCacheAccess.RenderRounding(kernel, "valueMax", "freshScale", "freshInverse");
                    w.Line("valueScale[t] = freshScale;");
                    w.Line("valueInverse[t] = freshInverse;");
                }
                RenderFreshKey(kernel, (key, i) => w.Line($"dot = {d.Fma($"query[{i}]", cache.Fresh(kernel, key, "keyScale", "keyInverse"), "dot")};"));
            }
            using (w.Block("else"))
                w.Line($"for (int i = 0; i < HeadDim; i++) dot = {d.Fma("query[i]", cache.Element(kernel, KeyCacheArgument, "p", "i"), "dot")};");
            w.Line("scores[t] = dot * Scale;");
            w.Line($"localMax = {d.Max("localMax", "scores[t]")};");
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(name, index) over the fresh key row at <c>keyAt</c> (rotated for position
    /// <c>p</c> with rotary, a pair at a time).
    /// </summary>
    private void RenderFreshKey(GpuKernelSource kernel, Action<string, string> body)
    {
        var w = kernel.Writer;
        if (!rotary)
        {
            using (w.Block("for (int i = 0; i < HeadDim; i++)"))
            {
                w.Line($"float key = {kernel.Load(KeyArgument, "keyAt + i")};");
                body("key", "i");
            }
            return;
        }
        using (w.Block("for (int i = 0; i < Half; i++)"))
        {
            RenderRotation(kernel, "p", KeyArgument, "keyAt", "k0", "k1");
            body("k0", "i");
            body("k1", "i + Half");
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
                w.Line("int from = source[t];");
                var fresh = cache.Fresh(kernel, kernel.Load(ValueArgument, "ValueOffset + from * KeyStride + kv * HeadDim + i"), "valueScale[t]", "valueInverse[t]");
                w.Line($"float value = from >= 0 ? {fresh} : {cache.Element(kernel, ValueCacheArgument, "t0 + t", "i")};");
                w.Line($"s = {d.Fma("scores[t]", "value", "s")};");
            }
            w.Line("acc[a] = s;");
        }
    }
}
