using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Compiler.Weights;
using Llmc.Runtime;

namespace Llmc.Compiler.Models;

/// <summary>
/// Checkpoints of a family with <see cref="DecoderFamily.FusedProjections"/> (Phi-3) hold q, k and v as one
/// <c>self_attn.qkv_proj</c> and gate and up as one <c>mlp.gate_up_proj</c> (gate rows first). They are taken apart
/// here, as lazy row ranges, into the names every family's graph reads (the fused tensors leave the store); the fusion passes stack them again in the
/// layout the target's kernels want (q/k/v stacked, gate/up interleaved).
/// </summary>
public static class FusedProjections
{
    /// <summary>Replaces each layer's fused tensors in <paramref name="weights"/> by their parts.</summary>
    public static void Split(DecoderConfig config, WeightStore weights, string sourceName)
    {
        if (!config.Family.FusedProjections) return;
        var (q, kv) = (config.NumAttentionHeads * config.HeadDim, config.NumKeyValueHeads * config.HeadDim);
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}";
            SplitRows(weights, sourceName, $"{p}.self_attn.qkv_proj.weight", config.HiddenSize,
                [($"{p}.self_attn.q_proj.weight", q), ($"{p}.self_attn.k_proj.weight", kv), ($"{p}.self_attn.v_proj.weight", kv)]);
            SplitRows(weights, sourceName, $"{p}.mlp.gate_up_proj.weight", config.HiddenSize,
                [($"{p}.mlp.gate_proj.weight", config.IntermediateSize), ($"{p}.mlp.up_proj.weight", config.IntermediateSize)]);
        }
    }

    private static void SplitRows(WeightStore weights, string sourceName, string fused, int columns, (string Name, int Rows)[] parts)
    {
        if (!weights.Contains(fused)) throw new ModelFileException(sourceName, $"missing tensor '{fused}'");
        // Out of the store: the fusion passes name their stacked q/k/v weight as the checkpoint named this one.
        var source = weights.Remove(fused);
        var rows = parts.Sum(p => p.Rows);
        if (source.Type.Rank != 2 || source.Type[0].Size != rows || source.Type[1].Size != columns)
            throw new ModelFileException(sourceName, $"tensor '{fused}' has shape {source.Type}, the config implies [{rows}, {columns}]");
        var first = 0;
        foreach (var (name, count) in parts)
        {
            weights.Add(name, new RowSliceWeight(source, first, count));
            first += count;
        }
    }
}
