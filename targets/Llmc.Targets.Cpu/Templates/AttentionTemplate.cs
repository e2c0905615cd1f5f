using Llmc.Ir;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>attention(q, k, v, positions, k_cache, v_cache) {n_heads, n_kv_heads, head_dim, scale}</c>.
/// Tasks split the kv heads: a task writes its heads' cache columns for every row, then computes every query head
/// of their groups, so no task reads cache columns another task writes. Softmax is online over blocks of
/// positions (no scratch that grows with the context); each cache row is read once for all heads of its group.
/// </summary>
public sealed class AttentionTemplate : ICpuKernelTemplate
{
    // Positions per softmax block: the scores of one block for a whole group stay in L1.
    private const int Block = 128;

    public void Render(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var attrs = kernel.Instance.Attrs;
        int heads = attrs.GetInt("n_heads"), kvHeads = attrs.GetInt("n_kv_heads"), headDim = attrs.GetInt("head_dim");
        if (kernel.Instance.Operands.Where((_, i) => i != 3).Any(t => t.DType != DType.F32))
            throw new TargetException($"{kernel.Name}: the CPU attention kernel reads f32 activations and caches only");
        kernel.Operand("q", 0);
        kernel.Operand("keys", 1);
        kernel.Operand("values", 2);
        kernel.Operand("positions", 3);
        kernel.Operand("keyCache", 4);
        kernel.Operand("valueCache", 5);
        kernel.Result("y");
        kernel.Constant("HeadDim", headDim);
        kernel.Constant("Group", heads / kvHeads);
        kernel.Constant("QueryWidth", heads * headDim);
        kernel.Constant("KvWidth", kvHeads * headDim);
        kernel.Constant("Context", kernel.Instance.Operands[4][0].Size);
        kernel.Constant("Block", Block);
        kernel.Constant("Scale", attrs.GetDouble("scale"));
        w.Line($"int rows = {KernelSource.Size(kernel.Instance.Operands[3][0])};");
        kernel.Share(kvHeads.ToString(System.Globalization.CultureInfo.InvariantCulture), "firstHead", "lastHead");
        w.Line("float* scores = stackalloc float[Group * Block];");
        w.Line("float* acc = stackalloc float[Group * HeadDim];");
        w.Line("float* maxima = stackalloc float[Group];");
        w.Line("double* sums = stackalloc double[Group];");
        using (w.Block("for (int head = firstHead; head < lastHead; head++)"))
        {
            RenderCacheWrite(kernel);
            using (w.Block("for (int r = 0; r < rows; r++)"))
            {
                w.Line("int count = positions[r] + 1;");
                w.Line("float* queries = q + (long)r * QueryWidth + head * Group * HeadDim;");
                w.Line("new Span<float>(acc, Group * HeadDim).Clear();");
                w.Line("new Span<float>(maxima, Group).Fill(float.NegativeInfinity);");
                w.Line("new Span<double>(sums, Group).Clear();");
                using (w.Block("for (int t0 = 0; t0 < count; t0 += Block)"))
                {
                    w.Line("int length = Math.Min(Block, count - t0);");
                    using (w.Block("for (int t = 0; t < length; t++)"))
                    {
                        w.Line("float* keyRow = keyCache + (long)(t0 + t) * KvWidth + head * HeadDim;");
                        w.Line("for (int g = 0; g < Group; g++) scores[g * Block + t] = Dot(queries + g * HeadDim, keyRow) * Scale;");
                    }
                    using (w.Block("for (int g = 0; g < Group; g++)")) RenderSoftmaxBlock(kernel, headDim);
                    using (w.Block("for (int t = 0; t < length; t++)"))
                    {
                        w.Line("float* valueRow = valueCache + (long)(t0 + t) * KvWidth + head * HeadDim;");
                        w.Line("for (int g = 0; g < Group; g++) AddScaled(scores[g * Block + t], valueRow, acc + g * HeadDim);");
                    }
                }
                using (w.Block("for (int g = 0; g < Group; g++)"))
                {
                    w.Line("float* outHead = y + (long)r * QueryWidth + (head * Group + g) * HeadDim;");
                    w.Line("float* accHead = acc + g * HeadDim;");
                    w.Line("float inv = (float)(1.0 / sums[g]);");
                    kernel.ForLanes("i", "0", "HeadDim", headDim,
                        () => w.Line(d.Store($"{d.Load("accHead + i")} * {d.Splat("inv")}", "outHead + i")),
                        () => w.Line("outHead[i] = accHead[i] * inv;"));
                }
            }
        }
        RenderDot(kernel, headDim);
        RenderAddScaled(kernel, headDim);
    }

    private static void RenderCacheWrite(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block("for (int r = 0; r < rows; r++)"))
        {
            w.Line("int position = positions[r];");
            w.Line("if ((uint)position >= Context)");
            w.Line($"    throw new IndexOutOfRangeException(\"{kernel.Name}: position \" + position + \" outside the KV cache of \" + Context);");
            w.Line("long from = (long)r * KvWidth + head * HeadDim, to = (long)position * KvWidth + head * HeadDim;");
            kernel.ForLanes("i", "0", "HeadDim", kernel.Instance.Attrs.GetInt("head_dim"),
                () =>
                {
                    w.Line(d.Store(d.Load("keys + from + i"), "keyCache + to + i"));
                    w.Line(d.Store(d.Load("values + from + i"), "valueCache + to + i"));
                },
                () =>
                {
                    w.Line("keyCache[to + i] = keys[from + i];");
                    w.Line("valueCache[to + i] = values[from + i];");
                });
        }
    }

    /// <summary>Folds one block of head g's scores into its running maximum, sum and accumulator.</summary>
    private static void RenderSoftmaxBlock(KernelSource kernel, int headDim)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line("float* s = scores + g * Block;");
        w.Line("float blockMax = float.NegativeInfinity;");
        w.Line("for (int t = 0; t < length; t++) blockMax = MathF.Max(blockMax, s[t]);");
        w.Line("float newMax = MathF.Max(maxima[g], blockMax);");
        // exp(-inf) = 0 on the first block, when the accumulator and sum are still empty.
        w.Line($"float correction = (float){d.Call(MathFunction.Exp, "(double)maxima[g] - newMax")};");
        w.Line("maxima[g] = newMax;");
        w.Line("float* accHead = acc + g * HeadDim;");
        kernel.ForLanes("i", "0", "HeadDim", headDim,
            () => w.Line(d.Store($"{d.Load("accHead + i")} * {d.Splat("correction")}", "accHead + i")),
            () => w.Line("accHead[i] *= correction;"));
        w.Line($"{d.Vector} blockSums = {d.Zero};");
        w.Line("float tailSum = 0f;");
        kernel.ForLanes("t", "0", "length", null,
            () =>
            {
                w.Line($"{d.Vector} e = {d.Exp($"{d.Load("s + t")} - {d.Splat("newMax")}")};");
                w.Line(d.Store("e", "s + t"));
                w.Line("blockSums += e;");
            },
            () =>
            {
                w.Line("s[t] = MathF.Exp(s[t] - newMax);");
                w.Line("tailSum += s[t];");
            });
        w.Line($"sums[g] = sums[g] * correction + {d.Sum("blockSums")} + tailSum;");
    }

    private static void RenderDot(KernelSource kernel, int headDim)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static float Dot(float* a, float* b)"))
        {
            w.Line($"{d.Vector} products = {d.Zero};");
            w.Line("float tail = 0f;");
            kernel.ForLanes("i", "0", "HeadDim", headDim,
                () => w.Line($"products = {d.Fma(d.Load("a + i"), d.Load("b + i"), "products")};"),
                () => w.Line("tail = MathF.FusedMultiplyAdd(a[i], b[i], tail);"));
            w.Line($"return {d.Sum("products")} + tail;");
        }
    }

    private static void RenderAddScaled(KernelSource kernel, int headDim)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static void AddScaled(float weight, float* from, float* to)"))
        {
            w.Line($"{d.Vector} scale = {d.Splat("weight")};");
            kernel.ForLanes("i", "0", "HeadDim", headDim,
                () => w.Line(d.Store(d.Fma(d.Load("from + i"), "scale", d.Load("to + i")), "to + i")),
                () => w.Line("to[i] = MathF.FusedMultiplyAdd(from[i], weight, to[i]);"));
        }
    }
}
