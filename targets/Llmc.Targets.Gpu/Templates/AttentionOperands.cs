using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The operands of <c>attention(q, k, v, positions, block_tables, row_blocks, k_cache, v_cache)</c> and, with
/// <paramref name="WithRotary"/>, <c>attention_rope(qkv, positions, inv_freq, block_tables, row_blocks, k_cache,
/// v_cache)</c> (q, k and v side by side in each qkv row, q and k rotated by <see cref="Rotary"/>), with
/// <paramref name="WithQkNorm"/> also <c>attention_qk_norm_rope(..., q_norm, k_norm)</c> (each q and k head
/// RMS-normalized before it is rotated), and what every attention kernel declares and reads through them. The caches
/// are pools of blocks; a row's sequence finds its positions through the block tables (<see cref="PoolRow"/>).
/// </summary>
public sealed record AttentionOperands(bool WithRotary, bool WithQkNorm = false)
{
    public int Query => 0;

    public int Key => WithRotary ? 0 : 1;

    public int Value => WithRotary ? 0 : 2;

    public int Positions => WithRotary ? 1 : 3;

    /// <summary>inv_freq, with rotary only.</summary>
    public int Frequency => 2;

    public int BlockTables => WithRotary ? 3 : 4;

    public int RowBlocks => WithRotary ? 4 : 5;

    public int KeyCache => WithRotary ? 5 : 6;

    public int ValueCache => WithRotary ? 6 : 7;

    /// <summary>q_norm, with the q/k norm (k_norm follows it).</summary>
    public int QueryNorm => Ir.Ops.AttentionRopeOp.QueryNormOperand;

    public int KeyNorm => QueryNorm + 1;

    /// <summary>Whether operand <paramref name="operand"/> is one of the i32 index operands (positions and the block tables).</summary>
    public bool IsIndex(int operand) => operand == Positions || operand == BlockTables || operand == RowBlocks;

    /// <summary>
    /// The pool row (<see cref="Ir.Quantization.KvBlockTable"/>) holding position <paramref name="position"/> of the
    /// sequence whose block table starts at entry <paramref name="tableStart"/> (a row's <c>row_blocks</c> value).
    /// Both are int expressions, repeated, so keep them simple.
    /// </summary>
    public string PoolRow(GpuKernelSource kernel, string tableStart, string position)
    {
        var block = kernel.Size(kernel.Instance.Operands[KeyCache][1]);
        return $"({kernel.LoadInt(BlockTables, $"{tableStart} + ({position}) / {block}")} * {block} + ({position}) % {block})";
    }

    /// <summary>
    /// Declares the head geometry: <c>HeadDim</c>, <c>Half</c>, <c>Group</c> (query heads per kv head),
    /// <c>QueryWidth</c>, <c>KvWidth</c>, <c>KvHeads</c>, the row strides <c>QueryStride</c> and <c>KeyStride</c>, where
    /// k and v start in a row (<c>KeyOffset</c>, <c>ValueOffset</c>), the longest sequence <c>Context</c> (the
    /// <c>context</c> attribute: the pool's size is a run-time symbol) and the score <c>Scale</c>.
    /// </summary>
    public void RenderConstants(GpuKernelSource kernel)
    {
        var attrs = kernel.Instance.Attrs;
        int heads = attrs.GetInt("n_heads"), kvHeads = attrs.GetInt("n_kv_heads"), headDim = attrs.GetInt("head_dim");
        int queryWidth = heads * headDim, kvWidth = kvHeads * headDim;
        kernel.Constant("HeadDim", headDim);
        kernel.Constant("Half", headDim / 2);
        kernel.Constant("Group", heads / kvHeads);
        kernel.Constant("QueryWidth", queryWidth);
        kernel.Constant("KvWidth", kvWidth);
        kernel.Constant("KvHeads", kvHeads);
        kernel.Constant("QueryStride", WithRotary ? queryWidth + 2 * kvWidth : queryWidth);
        kernel.Constant("KeyStride", WithRotary ? queryWidth + 2 * kvWidth : kvWidth);
        kernel.Constant("KeyOffset", WithRotary ? queryWidth : 0);
        kernel.Constant("ValueOffset", WithRotary ? queryWidth + kvWidth : 0);
        kernel.Constant("Context", attrs.GetInt("context"));
        kernel.Constant("Scale", attrs.GetDouble("scale"));
        if (WithQkNorm) kernel.Constant("Eps", attrs.GetDouble("eps"));
    }

    /// <summary>
    /// Threads <c>lid</c>, <c>lid</c> + <paramref name="threads"/>, ... copy the head at <paramref name="at"/> in operand
    /// <paramref name="argument"/> into the shared array <paramref name="target"/>: as stored, or rotated for the int
    /// <paramref name="position"/> with rotary (normalized with the weight in operand <paramref name="norm"/> first,
    /// with the q/k norm).
    /// </summary>
    public void RenderHead(GpuKernelSource kernel, string target, int argument, string at, string position, int threads, int norm)
    {
        var w = kernel.Writer;
        if (!WithRotary)
        {
            w.Line($"for (int i = lid; i < HeadDim; i += {threads}) {target}[i] = {kernel.Load(argument, $"{at} + i")};");
            return;
        }
        using (w.Block(""))
        {
            RenderHeadInverseRms(kernel, argument, at);
            using (w.Block($"for (int i = lid; i < Half; i += {threads})"))
            {
                RenderRotatedPair(kernel, position, argument, at, norm, "rotated0", "rotated1");
                w.Line($"{target}[i] = rotated0;");
                w.Line($"{target}[i + Half] = rotated1;");
            }
        }
    }

    /// <summary>
    /// With the q/k norm, declares <c>headInverse</c>: 1/rms of the head at <paramref name="at"/> in operand
    /// <paramref name="argument"/>, summed by each thread alone in index order, so every thread, and a key read fresh
    /// or staged for the cache, gets the same bits (batching must not change a row's scores).
    /// </summary>
    public void RenderHeadInverseRms(GpuKernelSource kernel, int argument, string at)
    {
        if (!WithQkNorm) return;
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line("float headSquares = 0.0f;");
        using (w.Block("for (int j = 0; j < HeadDim; j++)"))
        {
            w.Line($"float e = {kernel.Load(argument, $"{at} + j")};");
            w.Line($"headSquares = {d.Fma("e", "e", "headSquares")};");
        }
        w.Line($"float headInverse = 1.0f / {d.Call(MathFunction.Sqrt, $"headSquares / {d.Cast("float", "HeadDim")} + Eps")};");
    }

    /// <summary>
    /// Declares floats <paramref name="first"/> and <paramref name="second"/>: dims i and i + Half of the head at
    /// <paramref name="at"/> in operand <paramref name="argument"/>, rotated for the int <paramref name="position"/>;
    /// with the q/k norm, normalized first by <c>headInverse</c> (<see cref="RenderHeadInverseRms"/>) and the weight
    /// in operand <paramref name="norm"/>.
    /// </summary>
    public void RenderRotatedPair(GpuKernelSource kernel, string position, int argument, string at, int norm, string first, string second)
    {
        string Element(string i) => WithQkNorm
            ? $"{kernel.Load(argument, $"{at} + {i}")} * headInverse * {kernel.Load(norm, i)}"
            : kernel.Load(argument, $"{at} + {i}");
        Rotary.RenderRotation(kernel, kernel.Dialect.Cast("float", position), kernel.Load(Frequency, "i"), Element("i"), Element("i + Half"), first, second);
    }
}
