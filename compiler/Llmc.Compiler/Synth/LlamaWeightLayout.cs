using Llmc.Compiler.Frontends.HfConfig;

namespace Llmc.Compiler.Synth;

/// <summary>A weight of a Llama checkpoint: its HF name and shape, and whether it is an RMSNorm scale (initialised to 1).</summary>
public sealed record LlamaWeight(string Name, long[] Shape, bool IsNormScale);

/// <summary>The tensors a transformers <c>LlamaForCausalLM</c> checkpoint holds for a config, in the order it saves them.</summary>
public static class LlamaWeightLayout
{
    public static IReadOnlyList<LlamaWeight> For(DecoderConfig config)
    {
        long hidden = config.HiddenSize, ffn = config.IntermediateSize, vocab = config.VocabSize;
        long q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
        var weights = new List<LlamaWeight> { new("model.embed_tokens.weight", [vocab, hidden], false) };
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}";
            weights.Add(new($"{p}.input_layernorm.weight", [hidden], true));
            weights.Add(new($"{p}.self_attn.q_proj.weight", [q, hidden], false));
            weights.Add(new($"{p}.self_attn.k_proj.weight", [kv, hidden], false));
            weights.Add(new($"{p}.self_attn.v_proj.weight", [kv, hidden], false));
            weights.Add(new($"{p}.self_attn.o_proj.weight", [hidden, q], false));
            weights.Add(new($"{p}.post_attention_layernorm.weight", [hidden], true));
            weights.Add(new($"{p}.mlp.gate_proj.weight", [ffn, hidden], false));
            weights.Add(new($"{p}.mlp.up_proj.weight", [ffn, hidden], false));
            weights.Add(new($"{p}.mlp.down_proj.weight", [hidden, ffn], false));
        }
        weights.Add(new("model.norm.weight", [hidden], true));
        // Tied models save no lm_head: the embedding doubles as the output projection.
        if (!config.TieWordEmbeddings) weights.Add(new("lm_head.weight", [vocab, hidden], false));
        return weights;
    }
}
