using Llmc.Ir;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>attention(q, k, v, positions, k_cache, v_cache) {n_heads, n_kv_heads, head_dim, scale}</c>: one workgroup per
/// (query head, row). The first query head of each kv group writes the row's k and v into the caches at its position.
/// Workgroups cannot wait for each other within a dispatch, so positions this step writes are read from the k and v
/// operands instead of the caches: the runtime's rows of a step have consecutive positions, so position p is row
/// p − positions[0] when that row's position is p. Softmax is online over chunks of positions: threads compute a
/// chunk's scores (one position each), shared-memory trees give the chunk's maximum and sum, then each thread
/// accumulates its own head dimensions over the chunk.
/// </summary>
public sealed class AttentionTemplate : IGpuKernelTemplate
{
    private const int Threads = 64;
    private const int Chunk = 256;

    public GpuKernelShape Shape(KernelInstance instance)
    {
        var headDim = instance.Attrs.GetInt("head_dim");
        return new GpuKernelShape(Threads, instance.Attrs.GetInt("n_heads"), instance.Result[0],
        [
            new SharedArray("float", "query", headDim),
            new SharedArray("float", "scores", Chunk),
            new SharedArray("int", "source", Chunk),
            new SharedArray("float", "partial", Threads),
        ]);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var attrs = kernel.Instance.Attrs;
        int heads = attrs.GetInt("n_heads"), kvHeads = attrs.GetInt("n_kv_heads"), headDim = attrs.GetInt("head_dim");
        if (kernel.Instance.Operands.Where((_, i) => i != 3).Any(t => t.DType != DType.F32))
            throw new TargetException("the GPU attention kernel reads f32 activations and caches only");
        kernel.Constant("HeadDim", headDim);
        kernel.Constant("Group", heads / kvHeads);
        kernel.Constant("QueryWidth", heads * headDim);
        kernel.Constant("KvWidth", kvHeads * headDim);
        kernel.Constant("Context", kernel.Instance.Operands[4][0].Size);
        kernel.Constant("PerThread", (headDim + Threads - 1) / Threads);
        kernel.Constant("Scale", attrs.GetDouble("scale"));
        w.Line($"int h = {d.GroupX}, r = {d.GroupY}, kv = h / Group, lid = {d.LocalId};");
        w.Line($"int rows = {kernel.Size(kernel.Instance.Operands[3][0])};");
        w.Line($"int first = {kernel.LoadInt(3, "0")}, position = {kernel.LoadInt(3, "r")};");
        using (w.Block("if (h % Group == 0 && position >= 0 && position < Context)"))
        using (w.Block($"for (int i = lid; i < HeadDim; i += {Threads})"))
        {
            w.Line("int from = r * KvWidth + kv * HeadDim + i, to = position * KvWidth + kv * HeadDim + i;");
            w.Line($"{d.Word(4, "to")} = {d.Word(1, "from")};");
            w.Line($"{d.Word(5, "to")} = {d.Word(2, "from")};");
        }
        w.Line($"for (int i = lid; i < HeadDim; i += {Threads}) query[i] = {kernel.Load(0, "r * QueryWidth + h * HeadDim + i")};");
        w.Line(d.Barrier);
        w.Line($"float runningMax = {d.Float(double.NegativeInfinity)}, total = 0.0f;");
        w.Line("float acc[PerThread];");
        w.Line("for (int a = 0; a < PerThread; a++) acc[a] = 0.0f;");
        w.Line($"int count = {d.Min("position + 1", "Context")};");
        using (w.Block($"for (int t0 = 0; t0 < count; t0 += {Chunk})"))
        {
            w.Line($"int length = {d.Min(Chunk.ToString(System.Globalization.CultureInfo.InvariantCulture), "count - t0")};");
            RenderScores(kernel);
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
            RenderValues(kernel);
            w.Line(d.Barrier);
        }
        using (w.Block("for (int a = 0; a < PerThread; a++)"))
        {
            w.Line($"int i = lid + a * {Threads};");
            w.Line($"if (i < HeadDim) {kernel.StoreResult("r * QueryWidth + h * HeadDim + i", "acc[a] / total")}");
        }
    }

    /// <summary>Each thread's positions of the chunk: where the key comes from, its scaled score, and their maximum.</summary>
    private static void RenderScores(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"float localMax = {d.Float(double.NegativeInfinity)};");
        using (w.Block($"for (int t = lid; t < length; t += {Threads})"))
        {
            w.Line("int p = t0 + t, fresh = p - first;");
            w.Line("int from = -1;");
            w.Line($"if (fresh >= 0 && fresh < rows && {kernel.LoadInt(3, "fresh")} == p) from = fresh;");
            w.Line("source[t] = from;");
            w.Line("float dot = 0.0f;");
            using (w.Block("if (from >= 0)"))
            {
                w.Line("int base = from * KvWidth + kv * HeadDim;");
                w.Line($"for (int i = 0; i < HeadDim; i++) dot = {d.Fma("query[i]", kernel.Load(1, "base + i"), "dot")};");
            }
            using (w.Block("else"))
            {
                w.Line("int base = p * KvWidth + kv * HeadDim;");
                w.Line($"for (int i = 0; i < HeadDim; i++) dot = {d.Fma("query[i]", kernel.Load(4, "base + i"), "dot")};");
            }
            w.Line("scores[t] = dot * Scale;");
            w.Line($"localMax = {d.Max("localMax", "scores[t]")};");
        }
    }

    /// <summary>Each thread's head dimensions: rescaled by the correction, plus the chunk's weighted values.</summary>
    private static void RenderValues(GpuKernelSource kernel)
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
                w.Line($"float value = from >= 0 ? {kernel.Load(2, "from * KvWidth + kv * HeadDim + i")} : {kernel.Load(5, "(t0 + t) * KvWidth + kv * HeadDim + i")};");
                w.Line($"s = {d.Fma("scores[t]", "value", "s")};");
            }
            w.Line("acc[a] = s;");
        }
    }
}
