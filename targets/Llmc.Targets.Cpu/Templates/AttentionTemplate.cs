using Llmc.Ir;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>attention(q, k, v, positions, k_cache, v_cache) {n_heads, n_kv_heads, head_dim, scale}</c>.
/// Tasks split the kv heads: a task writes its heads' cache columns for every row, then computes every query head
/// of their groups, so no task reads cache columns another task writes. Softmax is online over blocks of
/// positions (no scratch that grows with the context); each cache row is read once for all heads of its group.
/// <para>With <paramref name="rotary"/> it renders <c>attention_rope(qkv, positions, inv_freq, k_cache, v_cache)</c>:
/// q, k and v are column ranges of one fused projection row, keys are rotated as they are written to the cache and
/// a head group's queries are rotated into a scratch before scoring, with cosines and sines computed once per
/// (head, row) in double as <c>rope</c> does.</para>
/// </summary>
public sealed class AttentionTemplate(bool rotary = false) : ICpuKernelTemplate
{
    // Positions per softmax block: the scores of one block for a whole group stay in L1.
    private const int Block = 128;

    public void Render(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var attrs = kernel.Instance.Attrs;
        int heads = attrs.GetInt("n_heads"), kvHeads = attrs.GetInt("n_kv_heads"), headDim = attrs.GetInt("head_dim");
        var positionOperand = rotary ? 1 : 3;
        var cacheOperand = rotary ? 3 : 4;
        if (kernel.Instance.Operands.Where((_, i) => i != positionOperand && i < cacheOperand).Any(t => t.DType != DType.F32))
            throw new TargetException($"{kernel.Name}: the CPU attention kernel reads f32 activations only");
        var cache = new KvCacheRows(kernel, cacheOperand);
        if (rotary)
        {
            kernel.Operand("q", 0);
            kernel.Operand("invFreq", 2);
        }
        else
        {
            kernel.Operand("q", 0);
            kernel.Operand("keys", 1);
            kernel.Operand("values", 2);
        }
        kernel.Operand("positions", positionOperand);
        kernel.Result("y");
        kernel.Constant("HeadDim", headDim);
        kernel.Constant("Half", headDim / 2);
        kernel.Constant("Group", heads / kvHeads);
        kernel.Constant("QueryWidth", heads * headDim);
        kernel.Constant("KvWidth", kvHeads * headDim);
        // Row strides of the q and k/v inputs: one fused row holds all three when rotary.
        kernel.Constant("QueryStride", rotary ? (heads + 2 * kvHeads) * headDim : heads * headDim);
        kernel.Constant("KvStride", rotary ? (heads + 2 * kvHeads) * headDim : kvHeads * headDim);
        kernel.Constant("Context", kernel.Instance.Operands[cacheOperand][0].Size);
        if (rotary)
        {
            w.Line("float* keys = q + QueryWidth;");
            w.Line("float* values = q + QueryWidth + KvWidth;");
        }
        kernel.Constant("Block", Block);
        kernel.Constant("Scale", attrs.GetDouble("scale"));
        w.Line($"int rows = {KernelSource.Size(kernel.Instance.Operands[positionOperand][0])};");
        kernel.Share(kvHeads.ToString(System.Globalization.CultureInfo.InvariantCulture), "firstHead", "lastHead");
        w.Line("float* scores = stackalloc float[Group * Block];");
        w.Line("float* acc = stackalloc float[Group * HeadDim];");
        w.Line("float* maxima = stackalloc float[Group];");
        w.Line("double* sums = stackalloc double[Group];");
        cache.Declare();
        if (rotary)
        {
            w.Line("float* cos = stackalloc float[Half];");
            w.Line("float* sin = stackalloc float[Half];");
            w.Line("float* rotated = stackalloc float[Group * HeadDim];");
        }
        using (w.Block("for (int head = firstHead; head < lastHead; head++)"))
        {
            RenderCacheWrite(kernel, cache);
            using (w.Block("for (int r = 0; r < rows; r++)"))
            {
                w.Line("int count = positions[r] + 1;");
                w.Line("float* queries = q + (long)r * QueryStride + head * Group * HeadDim;");
                if (rotary)
                {
                    w.Line("Angles(positions[r], invFreq, cos, sin);");
                    w.Line("for (int g = 0; g < Group; g++) Rotate(queries + g * HeadDim, rotated + g * HeadDim, cos, sin);");
                    w.Line("queries = rotated;");
                }
                w.Line("new Span<float>(acc, Group * HeadDim).Clear();");
                w.Line("new Span<float>(maxima, Group).Fill(float.NegativeInfinity);");
                w.Line("new Span<double>(sums, Group).Clear();");
                using (w.Block("for (int t0 = 0; t0 < count; t0 += Block)"))
                {
                    w.Line("int length = Math.Min(Block, count - t0);");
                    using (w.Block("for (int t = 0; t < length; t++)"))
                    {
                        cache.Read("key", "t0 + t", "keyRow");
                        w.Line("for (int g = 0; g < Group; g++) scores[g * Block + t] = Dot(queries + g * HeadDim, keyRow) * Scale;");
                    }
                    using (w.Block("for (int g = 0; g < Group; g++)")) RenderSoftmaxBlock(kernel, headDim);
                    using (w.Block("for (int t = 0; t < length; t++)"))
                    {
                        cache.Read("value", "t0 + t", "valueRow");
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
        if (rotary) RenderRotation(kernel, headDim);
        cache.RenderHelpers();
    }

    private void RenderCacheWrite(KernelSource kernel, KvCacheRows cache)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block("for (int r = 0; r < rows; r++)"))
        {
            w.Line("int position = positions[r];");
            w.Line("if ((uint)position >= Context)");
            w.Line($"    throw new IndexOutOfRangeException(\"{kernel.Name}: position \" + position + \" outside the KV cache of \" + Context);");
            w.Line("long from = (long)r * KvStride + head * HeadDim, to = (long)position * KvWidth + head * HeadDim;");
            if (rotary) w.Line("Angles(position, invFreq, cos, sin);");
            if (cache.IsInt8)
            {
                // Rotated keys go through a scratch row, since the cache holds codes.
                if (rotary) w.Line($"Rotate(keys + from, {cache.WriteScratch("key")}, cos, sin);");
                cache.Write("key", rotary ? cache.WriteScratch("key") : "keys + from");
                cache.Write("value", "values + from");
                return;
            }
            if (rotary) w.Line("Rotate(keys + from, keyCache + to, cos, sin);");
            kernel.ForLanes("i", "0", "HeadDim", kernel.Instance.Attrs.GetInt("head_dim"),
                () =>
                {
                    if (!rotary) w.Line(d.Store(d.Load("keys + from + i"), "keyCache + to + i"));
                    w.Line(d.Store(d.Load("values + from + i"), "valueCache + to + i"));
                },
                () =>
                {
                    if (!rotary) w.Line("keyCache[to + i] = keys[from + i];");
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

    /// <summary>The rotary embedding of <c>rope</c> (<see cref="RotaryRendering"/>) as two helpers of the kernel.</summary>
    private static void RenderRotation(KernelSource kernel, int headDim)
    {
        var (w, f32) = (kernel.Writer, ElementFormat.For(DType.F32));
        using (w.Block("static void Angles(int position, float* invFreq, float* cos, float* sin)"))
            RotaryRendering.RenderAngles(kernel, f32, "position");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static void Rotate(float* from, float* to, float* cos, float* sin)"))
            RotaryRendering.RenderRotation(kernel, f32, headDim);
    }
}
