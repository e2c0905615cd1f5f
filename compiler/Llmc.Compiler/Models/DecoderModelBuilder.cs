using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Runtime.Plan;

namespace Llmc.Compiler.Models;

/// <summary>
/// The decoder graph of every <see cref="DecoderFamily"/>: pre-norm layers of GQA attention with rotate-half RoPE
/// (sliding-window where the config says so per layer, with q/k/v biases or per-head q/k norms where the family has
/// them) and a SwiGLU MLP,
/// a final RMSNorm and an LM head (tied to the embedding or not).
/// </summary>
public static class DecoderModelBuilder
{
    public const string InvFreqWeight = "rope.inv_freq";

    public const string LocalInvFreqWeight = "rope.inv_freq_local";

    /// <param name="context">The longest sequence the engine runs, in positions.</param>
    /// <param name="kvCache">How the KV cache is stored: f32 or kv8 (<see cref="KvCacheFormat"/>).</param>
    public static Graph Build(DecoderConfig config, WeightStore weights, int context, string sourceName, DType kvCache = DType.F32)
    {
        FusedProjections.Split(config, weights, sourceName);
        var g = new GraphBuilder("llama");
        var blocks = new TransformerBlocks(g, weights, sourceName);
        var tokens = g.Input(PlanRoles.Tokens, new TensorType(DType.I32, Dim.Seq));
        var positions = g.Input(PlanRoles.Positions, new TensorType(DType.I32, Dim.Seq));
        var logitRows = g.Input(PlanRoles.LogitRows, new TensorType(DType.I32, Dim.Out));
        var paging = new KvPaging(
            g.Input(PlanRoles.BlockTables, new TensorType(DType.I32, Dim.KvTable)),
            g.Input(PlanRoles.RowBlocks, new TensorType(DType.I32, Dim.Seq)),
            context);

        weights.Add(InvFreqWeight, new ComputedWeight(config.RopeInverseFrequencies(context)));
        var invFreq = g.Weight(InvFreqWeight, new TensorType(DType.F32, config.HeadDim / 2));
        // Gemma 3's sliding-window layers rotate with their own base, unscaled.
        var localInvFreq = invFreq;
        if (config.LocalRopeTheta is { } localTheta)
        {
            weights.Add(LocalInvFreqWeight, new ComputedWeight(RopeFrequencies.Compute(localTheta, config.HeadDim, scaling: null, context)));
            localInvFreq = g.Weight(LocalInvFreqWeight, new TensorType(DType.F32, config.HeadDim / 2));
        }
        var shape = new AttentionShape(config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim,
            QkvBias: config.Family.QkvBias, QkNormEps: config.Family.QkNorm ? config.RmsNormEps : null,
            RopeAttentionFactor: config.RopeScaling?.AttentionFactor ?? 1.0, QueryPreAttnScalar: config.QueryPreAttnScalar,
            Softcap: config.AttentionSoftcap);
        var family = config.Family;
        var activation = family.Activation == "silu" ? "silu" : "gelu_tanh";
        var cacheType = KvCacheFormat.PoolType(kvCache, config.NumKeyValueHeads, config.HeadDim);

        // Gemma: √hidden as the f32 its modeling code multiplies by.
        var x = blocks.Embedding("model.embed_tokens.weight", config.VocabSize, config.HiddenSize, tokens,
            family.ScaledEmbedding ? (float)Math.Sqrt(config.HiddenSize) : null);
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}";
            var kCache = g.State($"k_cache.{i}", cacheType);
            var vCache = g.State($"v_cache.{i}", cacheType);
            var h = blocks.RmsNorm(x, $"{p}.input_layernorm.weight", config.RmsNormEps, $"l{i}.attn_norm");
            var window = config.LayerWindows[i];
            var attn = blocks.Attention(h, shape with { Window = window }, $"{p}.self_attn", positions, window is null ? invFreq : localInvFreq, paging, kCache, vCache, $"l{i}.attn");
            if (family.SandwichNorms) attn = blocks.RmsNorm(attn, $"{p}.post_attention_layernorm.weight", config.RmsNormEps, $"l{i}.attn_out_norm");
            x = blocks.Residual(x, attn, $"l{i}.attn_res");
            var mlpNorm = family.SandwichNorms ? "pre_feedforward_layernorm" : "post_attention_layernorm";
            h = blocks.RmsNorm(x, $"{p}.{mlpNorm}.weight", config.RmsNormEps, $"l{i}.mlp_norm");
            var mlp = blocks.GatedMlp(h, $"{p}.mlp", config.IntermediateSize, activation, $"l{i}.mlp");
            if (family.SandwichNorms) mlp = blocks.RmsNorm(mlp, $"{p}.post_feedforward_layernorm.weight", config.RmsNormEps, $"l{i}.mlp_out_norm");
            x = blocks.Residual(x, mlp, $"l{i}.mlp_res");
        }
        x = blocks.RmsNorm(x, "model.norm.weight", config.RmsNormEps, "final_norm");
        var last = g.Op("gather_rows", [x, logitRows], name: "selected");
        var head = config.TieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight";
        if (config.FinalSoftcap is { } cap)
        {
            var raw = blocks.Linear(last, head, config.VocabSize, "head");
            g.Output(g.Op("soft_cap", [raw], new Attributes().Set("cap", cap), PlanRoles.Logits));
        }
        else
            g.Output(blocks.Linear(last, head, config.VocabSize, PlanRoles.Logits));
        return g.Build();
    }
}
