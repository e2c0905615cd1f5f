using Llmc.Compiler.Frontends.HfConfig;

namespace Llmc.Compiler.Synth;

/// <summary>A weight of a decoder checkpoint: its HF name and shape, and whether it is an RMSNorm scale (initialised to scale by 1).</summary>
public sealed record DecoderWeight(string Name, long[] Shape, bool IsNormScale);

/// <summary>The tensors a transformers checkpoint of the config's <see cref="DecoderFamily"/> holds, in the order it saves them.</summary>
public static class DecoderWeightLayout
{
    public static IReadOnlyList<DecoderWeight> For(DecoderConfig config)
    {
        long hidden = config.HiddenSize, ffn = config.IntermediateSize, vocab = config.VocabSize;
        long q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        var weights = new List<DecoderWeight> { new("model.embed_tokens.weight", [vocab, hidden], false) };
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}";
            weights.Add(new($"{p}.input_layernorm.weight", [hidden], true));
            if (config.Family.FusedProjections)
                weights.Add(new($"{p}.self_attn.qkv_proj.weight", [q + 2 * kv, hidden], false));
            else
                foreach (var (part, rows) in new[] { ("q", q), ("k", kv), ("v", kv) })
                {
                    weights.Add(new($"{p}.self_attn.{part}_proj.weight", [rows, hidden], false));
                    if (config.Family.QkvBias) weights.Add(new($"{p}.self_attn.{part}_proj.bias", [rows], false));
                }
            weights.Add(new($"{p}.self_attn.o_proj.weight", [hidden, q], false));
            if (config.Family.QkNorm)
            {
                weights.Add(new($"{p}.self_attn.q_norm.weight", [config.HeadDim], true));
                weights.Add(new($"{p}.self_attn.k_norm.weight", [config.HeadDim], true));
            }
            weights.Add(new($"{p}.post_attention_layernorm.weight", [hidden], true));
            if (config.Family.SandwichNorms)
            {
                weights.Add(new($"{p}.pre_feedforward_layernorm.weight", [hidden], true));
                weights.Add(new($"{p}.post_feedforward_layernorm.weight", [hidden], true));
            }
            if (config.Family.FusedProjections)
                weights.Add(new($"{p}.mlp.gate_up_proj.weight", [2 * ffn, hidden], false));
            else
            {
                weights.Add(new($"{p}.mlp.gate_proj.weight", [ffn, hidden], false));
                weights.Add(new($"{p}.mlp.up_proj.weight", [ffn, hidden], false));
            }
            weights.Add(new($"{p}.mlp.down_proj.weight", [hidden, ffn], false));
        }
        weights.Add(new("model.norm.weight", [hidden], true));
        // Tied models save no lm_head: the embedding doubles as the output projection.
        if (!config.TieWordEmbeddings) weights.Add(new("lm_head.weight", [vocab, hidden], false));
        return weights;
    }
}
