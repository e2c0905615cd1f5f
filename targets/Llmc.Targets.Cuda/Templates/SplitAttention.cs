using System.Globalization;
using Llmc.Targets.Gpu;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Cuda.Templates;

/// <summary>
/// CUDA's attention for steps of up to <see cref="MaxRows"/> rows (decode, short chunks), split along each row's
/// positions (flash-decoding) so a lone row keeps many multiprocessors busy: workgroup (head, split, row) computes the
/// chunks split, split + <c>Splits</c>, ... of the row (<see cref="AttentionChunks"/>, the shared template's code for a
/// chunk) and leaves each chunk's softmax state (maximum, sum, weighted values) in scratch; the last workgroup of the
/// (row, head) to arrive, counted with an atomic, folds the states in chunk order with <see cref="SoftmaxState"/>, as
/// the whole-row kernel folds them in its loop. A row therefore gets the same bits from this kernel and from the whole-row
/// kernel that runs it in steps of more rows (<see cref="WholeRowAttention"/>), so batching does not change it.
/// Scratch and counters are function-scope statics (global memory, zero at module load), sized for
/// <see cref="MaxRows"/> rows of every chunk of the context; the folding workgroup resets its counter for the next
/// launch. Workgroup split 0 writes the row's key and value into the caches.
/// </summary>
public sealed class SplitAttention(bool rotary = false, bool qkNorm = false) : IGpuKernelTemplate
{
    /// <summary>Workgroups per (row, head) at most: a context of 4,096 positions gives one chunk each.</summary>
    public const int MostSplits = 16;

    private readonly AttentionChunks _chunks = new(rotary, qkNorm);

    /// <summary>
    /// The most rows it runs for: about 128 (row, head) pairs, beyond which the whole-row kernel alone starts enough
    /// workgroups. This bounds the scratch, which every chunk of the context needs per row.
    /// </summary>
    public static int MaxRows(KernelInstance instance) => Math.Max(1, 128 / instance.Attrs.GetInt("n_heads"));

    public GpuKernelShape Shape(KernelInstance instance) =>
        new(AttentionChunks.Threads, instance.Attrs.GetInt("n_heads") * Splits(instance), instance.Result[0],
            [.. _chunks.Shared(instance), new SharedArray("int", "lastToArrive", 1)]);

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var instance = kernel.Instance;
        // A chunk's state: its maximum, its sum, then each head dimension's weighted values.
        int heads = instance.Attrs.GetInt("n_heads"), chunks = Chunks(instance), maxRows = MaxRows(instance), stateWidth = instance.Attrs.GetInt("head_dim") + 2;
        var chunk = AttentionChunks.Chunk.ToString(CultureInfo.InvariantCulture);
        kernel.Constant("Splits", Splits(instance));
        kernel.Constant("Heads", heads);
        kernel.Constant("Chunks", chunks);
        kernel.Constant("StateWidth", stateWidth);
        w.Line($"static float states[{(long)maxRows * heads * chunks * stateWidth}];");
        w.Line($"static unsigned int arrivals[{maxRows * heads}];");
        w.Line($"int h = {d.GroupX} / Splits, split = {d.GroupX} % Splits, r = {d.GroupY};");
        // The executor runs the whole-row kernel for longer steps; a row past the scratch is never written.
        w.Line($"if (r >= {maxRows}) return;");
        _chunks.RenderSetup(kernel, writesCache: "split == 0");
        w.Line($"int rowChunks = count > first ? (count - first + {chunk} - 1) / {chunk} : 0;");
        // Splits without a chunk neither compute nor arrive; split 0 always arrives, so an empty row is still stored.
        w.Line($"int working = {d.Max("1", d.Min("Splits", "rowChunks"))};");
        w.Line("if (split >= working) return;");
        w.Line("float* mine = states + (r * Heads + h) * Chunks * StateWidth;");
        // Not "c": the rotation's cosine is c within the chunk's code.
        using (w.Block("for (int chunkAt = split; chunkAt < rowChunks; chunkAt += Splits)"))
        {
            w.Line($"int t0 = first + chunkAt * {chunk};");
            w.Line($"int length = {d.Min(chunk, "count - t0")};");
            _chunks.RenderChunk(kernel,
                afterSum: () => w.Line("if (lid == 0) { mine[chunkAt * StateWidth] = chunkMax; mine[chunkAt * StateWidth + 1] = chunkSum; }"),
                usePart: () => w.Line("mine[chunkAt * StateWidth + 2 + i] = part;"));
        }
        RenderFold(kernel);
    }

    /// <summary>The last workgroup of the (row, head) to arrive folds every chunk's state, in order, and stores the result.</summary>
    private static void RenderFold(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        // Publish this workgroup's states before counting it; the last arrival then sees every state.
        w.Line("__threadfence();");
        w.Line(d.Barrier);
        w.Line("if (lid == 0) lastToArrive[0] = atomicAdd(&arrivals[r * Heads + h], 1u) == (unsigned int)(working - 1);");
        w.Line(d.Barrier);
        w.Line("if (!lastToArrive[0]) return;");
        w.Line("__threadfence();");
        // Volatile: other multiprocessors wrote the states, so they are read past this one's L1 cache.
        w.Line("volatile float* all = mine;");
        SoftmaxState.RenderEmpty(kernel);
        using (w.Block("for (int chunkAt = 0; chunkAt < rowChunks; chunkAt++)"))
        {
            SoftmaxState.RenderFold(kernel, "all[chunkAt * StateWidth]", "all[chunkAt * StateWidth + 1]");
            using (w.Block("for (int a = 0; a < PerThread; a++)"))
            {
                w.Line($"int i = lid + a * {AttentionChunks.Threads};");
                w.Line("if (i >= HeadDim) break;");
                w.Line(SoftmaxState.FoldPart(kernel, "all[chunkAt * StateWidth + 2 + i]"));
            }
        }
        SoftmaxState.RenderResult(kernel);
        w.Line("if (lid == 0) arrivals[r * Heads + h] = 0u;");
    }

    /// <summary>Chunks of the longest row (the context).</summary>
    private static int Chunks(KernelInstance instance) => (instance.Attrs.GetInt("context") + AttentionChunks.Chunk - 1) / AttentionChunks.Chunk;

    private static int Splits(KernelInstance instance) => Math.Min(Chunks(instance), MostSplits);
}
