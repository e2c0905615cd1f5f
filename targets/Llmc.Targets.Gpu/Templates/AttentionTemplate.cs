using System.Globalization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// <c>attention(q, k, v, positions, block_tables, row_blocks, k_cache, v_cache)</c> and, with <paramref name="rotary"/>,
/// <c>attention_rope(qkv, positions, inv_freq, block_tables, row_blocks, k_cache, v_cache)</c>
/// (<see cref="AttentionOperands"/>): one workgroup per (query head, row), which writes the row's k and v into the caches
/// (the first query head of each kv group) and walks the row's positions in chunks (<see cref="AttentionChunks"/>),
/// folding each chunk's softmax state into its own in order (<see cref="SoftmaxState"/>).
/// </summary>
public sealed class AttentionTemplate(bool rotary = false, bool qkNorm = false) : IGpuKernelTemplate
{
    private readonly AttentionChunks _chunks = new(rotary, qkNorm);

    public GpuKernelShape Shape(KernelInstance instance) =>
        new(AttentionChunks.Threads, instance.Attrs.GetInt("n_heads"), instance.Result[0], _chunks.Shared(instance));

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"int h = {d.GroupX}, r = {d.GroupY};");
        _chunks.RenderSetup(kernel, writesCache: "true");
        SoftmaxState.RenderEmpty(kernel);
        var chunk = AttentionChunks.Chunk.ToString(CultureInfo.InvariantCulture);
        using (w.Block($"for (int t0 = first; t0 < count; t0 += {chunk})"))
        {
            w.Line($"int length = {d.Min(chunk, "count - t0")};");
            _chunks.RenderChunk(kernel,
                afterSum: () => SoftmaxState.RenderFold(kernel, "chunkMax", "chunkSum"),
                usePart: () => w.Line(SoftmaxState.FoldPart(kernel, "part")));
        }
        SoftmaxState.RenderResult(kernel);
    }
}
