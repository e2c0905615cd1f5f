using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>attention(q, k, v, positions, block_tables, row_blocks, k_cache, v_cache) {n_heads, n_kv_heads, head_dim, scale, context[, window]}</c>
/// over a paged KV pool (<see cref="Ir.Quantization.KvBlockTable"/>): rows of any sequences at any positions.
/// Tasks split the units of work, a kv head of one sequence each: a unit writes its head's cache columns for the
/// sequence's rows, then computes every query head of the group for them, so no task reads cache columns another task
/// writes (a sequence's rows may even lie apart in the step), and a step of many sequences keeps every core busy where
/// a split by kv heads alone left one idle (3 kv heads on 2 cores); a step of fewer units than the tasks can share
/// evenly (a prompt's prefill) cuts each into parts that take its query tiles in turn, each part writing the unit's
/// cache columns itself. Units go sequence by sequence, its kv heads in turn,
/// so a task reads the neighbouring head columns of the cache rows it has just read. Query rows go in tiles of up to
/// <see cref="RowTile"/> adjacent rows of one sequence: each cache row is read (a kv8 row widened) once for every head
/// of the group in all rows of the tile, so prefill reads the cache once per tile rather than once per row. Softmax is
/// online over blocks of positions (no scratch that grows with the context), kept per query vector (row, head) of the
/// tile; each block's pool rows are looked up once per tile, walking the sequence's block table, and taken a sub-block
/// of one vector's lane count of positions at a time: scores of a sub-block come out as one vector
/// (<see cref="SubBlockScores"/>) and its value rows are added into accumulators held in registers
/// (<see cref="SubBlockValues"/>). With a sliding window
/// (<see cref="AttentionWindow"/>) a tile starts at the block holding its earliest row's first position, and positions
/// before a vector's own first one weigh 0 like those past its row; blocks stay aligned to multiples of <see cref="Block"/>
/// either way, so which rows share a tile does not change how a row's scores are summed.
/// <para>With <paramref name="rotary"/> it renders <c>attention_rope(qkv, positions, inv_freq, block_tables, row_blocks, k_cache, v_cache)</c>:
/// q, k and v are column ranges of one fused projection row, keys are rotated as they are written to the cache and
/// a tile's queries are rotated into the query scratch before scoring, with cosines and sines computed in double as
/// <c>rope</c> does, once per step and thread (<c>StepAngles</c> in <see cref="CpuSource"/>).</para>
/// <para>With <paramref name="qkNorm"/> as well (<c>attention_qk_norm_rope</c>), each q and k head goes through
/// <c>rms_norm</c>'s arithmetic (<see cref="RmsNormRendering"/>) into a head scratch before it is rotated.</para>
/// </summary>
public sealed class AttentionTemplate(bool rotary = false, bool qkNorm = false) : ICpuKernelTemplate
{
    // Positions per softmax block: the scores of one block for a whole tile stay in L1.
    private const int Block = 128;

    // Query rows per tile: a kv8 row's widening is shared by RowTile × group query vectors.
    private const int RowTile = 4;

    public void Render(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var attrs = kernel.Instance.Attrs;
        int heads = attrs.GetInt("n_heads"), kvHeads = attrs.GetInt("n_kv_heads"), headDim = attrs.GetInt("head_dim");
        var positionOperand = rotary ? 1 : 3;
        // Then block_tables and row_blocks, right before the caches.
        var cacheOperand = rotary ? 5 : 6;
        if (kernel.Instance.Operands.Take(positionOperand).Any(t => t.DType != DType.F32) || (rotary && kernel.Instance.Operands[2].DType != DType.F32))
            throw new TargetException($"{kernel.Name}: the CPU attention kernel reads f32 activations only");
        var cache = new KvCacheRows(kernel, cacheOperand);
        var window = AttentionWindow.Of(attrs);
        var values = new SubBlockValues(kernel, headDim, heads / kvHeads);
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
        if (qkNorm)
        {
            kernel.Operand("queryNorm", AttentionRopeOp.QueryNormOperand);
            kernel.Operand("keyNorm", AttentionRopeOp.QueryNormOperand + 1);
            w.Line($"const double Eps = {attrs.GetDouble("eps").ToString("R", System.Globalization.CultureInfo.InvariantCulture)};");
        }
        kernel.Operand("positions", positionOperand);
        kernel.Operand("tables", cacheOperand - 2);
        kernel.Operand("rowBlocks", cacheOperand - 1);
        kernel.Result("y");
        kernel.Constant("HeadDim", headDim);
        kernel.Constant("Half", headDim / 2);
        kernel.Constant("Group", heads / kvHeads);
        kernel.Constant("KvHeads", kvHeads);
        kernel.Constant("QueryWidth", heads * headDim);
        kernel.Constant("KvWidth", kvHeads * headDim);
        // Row strides of the q and k/v inputs: one fused row holds all three when rotary.
        kernel.Constant("QueryStride", rotary ? (heads + 2 * kvHeads) * headDim : heads * headDim);
        kernel.Constant("KvStride", rotary ? (heads + 2 * kvHeads) * headDim : kvHeads * headDim);
        kernel.Constant("Context", attrs.GetInt("context"));
        w.Line($"int BlockSize = {KernelSource.Size(Dim.KvBlock)};");
        if (rotary)
        {
            w.Line("float* keys = q + QueryWidth;");
            w.Line("float* values = q + QueryWidth + KvWidth;");
        }
        kernel.Constant("Block", Block);
        kernel.Constant("Scale", attrs.GetDouble("scale"));
        if (window is { } positions) kernel.Constant("Window", positions);
        if (attrs.ContainsKey("softcap")) kernel.Constant("Softcap", attrs.GetDouble("softcap"));
        w.Line($"int rows = {KernelSource.Size(kernel.Instance.Operands[positionOperand][0])};");
        kernel.Constant("RowTile", RowTile);
        kernel.Constant("Vectors", RowTile * (heads / kvHeads));
        w.Line("float* queries = stackalloc float[Vectors * HeadDim];");
        w.Line("float* scores = stackalloc float[Vectors * Block];");
        w.Line("float* acc = stackalloc float[Vectors * HeadDim];");
        w.Line("float* maxima = stackalloc float[Vectors];");
        w.Line("double* sums = stackalloc double[Vectors];");
        w.Line("int* counts = stackalloc int[RowTile];");
        if (window is not null) w.Line("int* starts = stackalloc int[RowTile];");
        w.Line("int* slots = stackalloc int[Block];");
        // A sub-block's rows; past its last position the zero row, whose scores are written but never read.
        w.Line($"float** cacheRows = stackalloc float*[{d.Lanes}];");
        w.Line("float* zeroRow = stackalloc float[HeadDim];");
        w.Line("new Span<float>(zeroRow, HeadDim).Clear();");
        cache.Declare();
        // Each row's cosines then sines, for the cache write and the query rotation alike, computed once a step and thread.
        if (rotary) w.Line("float* rowAngles = StepAngles(positions, rows, invFreq, Half);");
        if (qkNorm) w.Line("float* normalized = stackalloc float[HeadDim];");
        // The step's sequences, by where their block tables start, in order of first row.
        w.Line("int* sequenceTables = stackalloc int[rows];");
        w.Line("int sequences = 0;");
        using (w.Block("for (int r = 0; r < rows; r++)"))
        {
            w.Line("if (r > 0 && rowBlocks[r] == rowBlocks[r - 1]) continue;");
            w.Line("int s = 0;");
            w.Line("while (s < sequences && sequenceTables[s] != rowBlocks[r]) s++;");
            w.Line("if (s == sequences) sequenceTables[sequences++] = rowBlocks[r];");
        }
        // Fewer (kv head, sequence) pairs than the threads can share evenly (a prompt's prefill, a model of one kv
        // head) are cut into parts, up to about half as many units as shares (two a thread), each part taking every
        // parts-th tile of the pair's rows (a causal pair's work is a triangle, so a tile in turn gives each part an
        // even share of it). Every part writes the pair's cache columns for all its rows itself, the same values, so
        // no part waits on another's: a row's keys cost a fraction of what attending over them does.
        w.Line($"int pairs = KvHeads * sequences, parts = rows == sequences ? 1 : Math.Clamp(({kernel.Dialect.TaskCount} + 2 * pairs - 1) / (2 * pairs), 1, (rows / sequences + RowTile - 1) / RowTile);");
        kernel.Share("pairs * parts", "first", "last");
        using (w.Block("for (int unit = first; unit < last; unit++)"))
        {
            w.Line("int part = unit % parts, head = unit / parts % KvHeads, table = sequenceTables[unit / parts / KvHeads];");
            RenderCacheWrite(kernel, cache);
            w.Line("int tile = 0;");
            using (w.Block("for (int r0 = 0, tileRows; r0 < rows; r0 += tileRows)"))
            {
                w.Line("tileRows = 1;");
                w.Line("if (rowBlocks[r0] != table) continue;");
                w.Line("for (; tileRows < RowTile && r0 + tileRows < rows && rowBlocks[r0 + tileRows] == table; tileRows++) { }");
                w.Line("if (tile++ % parts != part) continue;");
                w.Line($"int vectors = tileRows * Group, end = 0, begin = {(window is null ? "0" : "int.MaxValue")};");
                RenderQueryGather(kernel, window is not null);
                w.Line("new Span<float>(acc, vectors * HeadDim).Clear();");
                w.Line("new Span<float>(maxima, vectors).Fill(float.NegativeInfinity);");
                w.Line("new Span<double>(sums, vectors).Clear();");
                using (w.Block("for (int t0 = begin / Block * Block; t0 < end; t0 += Block)"))
                {
                    w.Line("int length = Math.Min(Block, end - t0);");
                    w.Line("Slots(tables + table, t0, length, BlockSize, slots);");
                    using (w.Block($"for (int t = 0; t < length; t += {d.Lanes})"))
                    {
                        RenderSubBlockRows(kernel, cache, "key");
                        w.Line($"{d.Vector} factors = {(cache.IsInt8 ? $"{d.Load("rowScales")} * {d.Splat("Scale")}" : d.Splat("Scale"))};");
                        w.Line("for (int j = 0; j < vectors; j++) Scores(queries + j * HeadDim, cacheRows, factors, scores + j * Block + t);");
                    }
                    using (w.Block("for (int j = 0; j < vectors; j++)")) RenderSoftmaxBlock(kernel, headDim, window is not null, attrs.ContainsKey("softcap"));
                    using (w.Block($"for (int t = 0; t < length; t += {d.Lanes})"))
                    {
                        RenderSubBlockRows(kernel, cache, "value");
                        // A kv8 row's scale times each weight, the product the f32 weights stand for.
                        if (cache.IsInt8) w.Line("for (int v = 0; v < vectors; v++) for (int i = 0; i < count; i++) scores[v * Block + t + i] *= rowScales[i];");
                        w.Line($"for (int j = 0; j < vectors; j += {values.Vectors}) Accumulate(scores + j * Block + t, cacheRows, count, acc + j * HeadDim);");
                    }
                }
                using (w.Block("for (int j = 0; j < vectors; j++)"))
                {
                    w.Line("float* outHead = y + (long)(r0 + j / Group) * QueryWidth + (head * Group + j % Group) * HeadDim;");
                    w.Line("float* accHead = acc + j * HeadDim;");
                    w.Line("float inv = (float)(1.0 / sums[j]);");
                    kernel.ForLanes("i", "0", "HeadDim", headDim,
                        () => w.Line(d.Store($"{d.Load("accHead + i")} * {d.Splat("inv")}", "outHead + i")),
                        () => w.Line("outHead[i] = accHead[i] * inv;"));
                }
            }
        }
        RenderSlots(kernel);
        RenderLargestLane(kernel);
        new SubBlockScores(kernel, headDim).Render();
        values.Render();
        if (rotary) RenderRotation(kernel, headDim);
        if (qkNorm) RenderNormalization(kernel, headDim);
        cache.RenderHelpers();
    }

    /// <summary>The q or k head at <paramref name="head"/> as it is rotated: normalized into the scratch with the q/k norm.</summary>
    private string Head(string head, string norm) => qkNorm ? $"NormalizeHead({head}, {norm}, normalized)" : head;

    /// <summary>A head through <c>rms_norm</c>'s arithmetic with one of the q/k norm weights, into <c>outRow</c>.</summary>
    private static void RenderNormalization(KernelSource kernel, int headDim)
    {
        var f32 = ElementFormat.For(DType.F32);
        using (kernel.Writer.Block("static float* NormalizeHead(float* row, float* weight, float* outRow)"))
        {
            RmsNormRendering.RenderInverse(kernel, f32, "HeadDim", headDim);
            RmsNormRendering.RenderScale(kernel, f32, f32, "HeadDim", headDim);
            kernel.Writer.Line("return outRow;");
        }
    }

    private void RenderCacheWrite(KernelSource kernel, KvCacheRows cache)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block("for (int r = 0; r < rows; r++)"))
        {
            w.Line("if (rowBlocks[r] != table) continue;");
            w.Line("int position = positions[r];");
            w.Line("if ((uint)position >= Context)");
            w.Line($"    throw new IndexOutOfRangeException(\"{kernel.Name}: position \" + position + \" outside the context of \" + Context);");
            w.Line("int slot = tables[rowBlocks[r] + position / BlockSize] * BlockSize + position % BlockSize;");
            w.Line("long from = (long)r * KvStride + head * HeadDim, to = (long)slot * KvWidth + head * HeadDim;");
            if (rotary) w.Line("float* cos = rowAngles + (long)r * 2 * Half, sin = cos + Half;");
            if (cache.IsInt8)
            {
                // Rotated keys go through a scratch row, since the cache holds codes.
                if (rotary) w.Line($"Rotate({Head("keys + from", "keyNorm")}, {cache.KeyScratch}, cos, sin);");
                cache.Write("key", rotary ? cache.KeyScratch : "keys + from");
                cache.Write("value", "values + from");
                return;
            }
            if (rotary) w.Line($"Rotate({Head("keys + from", "keyNorm")}, keyCache + to, cos, sin);");
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

    /// <summary>
    /// Folds one block of query vector j's scores into its running maximum, sum and accumulator. Positions past the
    /// vector's own row are in the block only for later rows of the tile, and with a window those before its first
    /// position only for earlier rows: their weights become 0. A softcap squashes the scores first (Gemma 2).
    /// </summary>
    private static void RenderSoftmaxBlock(KernelSource kernel, int headDim, bool windowed, bool softcapped)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line("float* s = scores + j * Block;");
        w.Line("int seen = Math.Clamp(counts[j / Group] - t0, 0, length);");
        w.Line($"int from = {(windowed ? "Math.Clamp(starts[j / Group] - t0, 0, seen)" : "0")};");
        w.Line("new Span<float>(s, from).Clear();");
        w.Line("new Span<float>(s + seen, length - seen).Clear();");
        w.Line("if (seen == from) continue;");
        if (softcapped) w.Line("for (int t = from; t < seen; t++) s[t] = Softcap * MathF.Tanh(s[t] / Softcap);");
        // Maxima are exact in any order; the vector Max treats NaN and signed zeros as MathF.Max does.
        w.Line($"{d.Vector} blockMaxima = {d.Splat("float.NegativeInfinity")};");
        w.Line("float blockMax = float.NegativeInfinity;");
        kernel.ForLanes("t", "from", "seen", null,
            () => w.Line($"blockMaxima = {d.VectorClass}.Max(blockMaxima, {d.Load("s + t")});"),
            () => w.Line("blockMax = MathF.Max(blockMax, s[t]);"));
        w.Line("blockMax = MathF.Max(blockMax, LargestLane(blockMaxima));");
        w.Line("float newMax = MathF.Max(maxima[j], blockMax);");
        // exp(-inf) = 0 on the vector's first block, when the accumulator and sum are still empty.
        w.Line($"float correction = (float){d.Call(MathFunction.Exp, "(double)maxima[j] - newMax")};");
        w.Line("maxima[j] = newMax;");
        w.Line("float* accHead = acc + j * HeadDim;");
        kernel.ForLanes("i", "0", "HeadDim", headDim,
            () => w.Line(d.Store($"{d.Load("accHead + i")} * {d.Splat("correction")}", "accHead + i")),
            () => w.Line("accHead[i] *= correction;"));
        w.Line($"{d.Vector} blockSums = {d.Zero};");
        w.Line("float tailSum = 0f;");
        kernel.ForLanes("t", "from", "seen", null,
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
        w.Line($"sums[j] = sums[j] * correction + {d.Sum("blockSums")} + tailSum;");
    }

    /// <summary>
    /// Copies (or rotates) the tile's query rows of this head group into <c>queries</c>, and notes each row's position
    /// count (and, <paramref name="windowed"/>, its first position).
    /// </summary>
    private void RenderQueryGather(KernelSource kernel, bool windowed)
    {
        var w = kernel.Writer;
        using (w.Block("for (int i = 0; i < tileRows; i++)"))
        {
            w.Line("counts[i] = positions[r0 + i] + 1;");
            w.Line("end = Math.Max(end, counts[i]);");
            if (windowed)
            {
                w.Line("starts[i] = Math.Max(0, counts[i] - Window);");
                w.Line("begin = Math.Min(begin, starts[i]);");
            }
            w.Line("float* from = q + (long)(r0 + i) * QueryStride + head * Group * HeadDim, to = queries + i * Group * HeadDim;");
            if (rotary)
            {
                w.Line("float* cos = rowAngles + (long)(r0 + i) * 2 * Half, sin = cos + Half;");
                w.Line($"for (int g = 0; g < Group; g++) Rotate({Head("from + g * HeadDim", "queryNorm")}, to + g * HeadDim, cos, sin);");
            }
            else
                w.Line("new Span<float>(from, Group * HeadDim).CopyTo(new Span<float>(to, Group * HeadDim));");
        }
    }

    /// <summary><c>LargestLane(v)</c>: the largest of a vector's lanes (<see cref="LaneMaximum"/>), rather than a store and a scalar maximum per lane.</summary>
    private static void RenderLargestLane(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block($"static float LargestLane({d.Vector} v)"))
            w.Line($"return {LaneMaximum.Render(w, "float", d.Lanes * 32, "v")}.ToScalar();");
    }

    /// <summary>
    /// The pool rows of positions first..first+count−1 of the sequence whose block table is <c>table</c>: one table
    /// read per block crossed instead of a division per position.
    /// </summary>
    private static void RenderSlots(KernelSource kernel)
    {
        var w = kernel.Writer;
        using (w.Block("static void Slots(int* table, int first, int count, int blockSize, int* slots)"))
        {
            w.Line("int entry = first / blockSize, offset = first % blockSize, row = table[entry] * blockSize;");
            using (w.Block("for (int t = 0; t < count; t++)"))
            {
                w.Line("slots[t] = row + offset;");
                // The last position may end a block that the table does not follow with another.
                w.Line("if (++offset == blockSize && t + 1 < count) { offset = 0; row = table[++entry] * blockSize; }");
            }
        }
    }

    /// <summary>
    /// Sets <c>count</c> and the sub-block's rows of <paramref name="cache"/> at positions t.. (<see cref="KvCacheRows.SubBlockRow"/>),
    /// the zero row past its last position, and asks for the next sub-block's rows ahead of their use. A head's rows lie a
    /// pool row (all kv heads) apart, two or more to a 4 KB page, where the hardware prefetcher stops: without the hints
    /// decode at position 1,000 of the Llama-3.2-1B config spent 10-13 ms a step in attention waiting on memory one row
    /// at a time, with them (8 positions ahead) 4-6 ms.
    /// </summary>
    private static void RenderSubBlockRows(KernelSource kernel, KvCacheRows cache, string name)
    {
        var (w, lanes) = (kernel.Writer, kernel.Dialect.Lanes);
        w.Line($"int count = Math.Min({lanes}, length - t);");
        using (w.Block($"for (int i = 0; i < {lanes}; i++)"))
        {
            w.Line($"if (t + {lanes} + i < length) {cache.Prefetch(name, $"slots[t + {lanes} + i]")}");
            w.Line($"if (i < count) {cache.SubBlockRow(name, "slots[t + i]", "i")}");
            w.Line("else cacheRows[i] = zeroRow;");
        }
    }

    /// <summary>The rotary embedding of <c>rope</c> (<see cref="RotaryRendering"/>) as two helpers of the kernel.</summary>
    private static void RenderRotation(KernelSource kernel, int headDim)
    {
        var (w, f32) = (kernel.Writer, ElementFormat.For(DType.F32));
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static void Rotate(float* from, float* to, float* cos, float* sin)"))
            RotaryRendering.RenderRotation(kernel, f32, headDim);
    }
}
