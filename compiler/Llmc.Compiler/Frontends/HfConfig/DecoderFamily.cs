namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>
/// One Hugging Face decoder class as data: what its layers add to the Llama layer the builder starts from (pre-norm
/// GQA attention with RoPE, SwiGLU MLP), how config.json's <c>sliding_window</c> applies to its layers, and the
/// <c>general.architecture</c> of its GGUF files. The builder and the importers read these; nothing else names an
/// architecture.
/// </summary>
public sealed record DecoderFamily
{
    /// <summary><c>architectures[0]</c> in config.json.</summary>
    public required string ClassName { get; init; }

    /// <summary><c>general.architecture</c> of the GGUF files llama.cpp's converter writes for it.</summary>
    public required string GgufArchitecture { get; init; }

    /// <summary>Which layers <c>sliding_window</c> applies to.</summary>
    public required SlidingWindowLayers Window { get; init; }

    /// <summary>Biases on the q, k and v projections (<c>q_proj.bias</c>, ...), none on the output projection.</summary>
    public bool QkvBias { get; init; }

    /// <summary>The MLP's gate activation, as config.json names it: <c>silu</c> (SwiGLU) or <c>gelu_pytorch_tanh</c> (GeGLU).</summary>
    public string Activation { get; init; } = "silu";

    /// <summary>What a config without <c>tie_word_embeddings</c> means (transformers' default for the class).</summary>
    public bool TiedByDefault { get; init; }

    /// <summary>Embeddings multiplied by √hidden_size (in f32) before the first layer; the tied LM head reads the table unscaled.</summary>
    public bool ScaledEmbedding { get; init; }

    /// <summary>
    /// RMSNorm weights stored as w in Hugging Face checkpoints and applied as 1 + w (in f32, as Gemma's modeling code
    /// adds them); a GGUF holds 1 + w.
    /// </summary>
    public bool OffsetNorms { get; init; }

    /// <summary>
    /// Norms after the attention and MLP outputs too, before each residual add (<c>post_attention_layernorm</c> on the
    /// attention output, <c>pre_feedforward_layernorm</c> and <c>post_feedforward_layernorm</c> around the MLP).
    /// </summary>
    public bool SandwichNorms { get; init; }

    /// <summary>Reads <c>query_pre_attn_scalar</c> (scores scaled by its −1/2 power) and <c>attn_logit_softcapping</c> / <c>final_logit_softcapping</c>.</summary>
    public bool GemmaAttention { get; init; }

    /// <summary>Sliding-window layers rotate with <c>rope_local_base_freq</c> and no scaling; <c>rope_theta</c> and <c>rope_scaling</c> are the global layers' (Gemma 3).</summary>
    public bool LocalRope { get; init; }

    /// <summary>Checkpoints hold q/k/v as one <c>qkv_proj</c> and gate/up as one <c>gate_up_proj</c> (Phi-3): see <see cref="Models.FusedProjections"/>.</summary>
    public bool FusedProjections { get; init; }

    /// <summary>An RMSNorm of each q and k head before RoPE (<c>self_attn.q_norm</c>, <c>self_attn.k_norm</c>), with the model's eps.</summary>
    public bool QkNorm { get; init; }

    /// <summary>
    /// Whether GGUF files of it hold q and k rows permuted for llama.cpp's interleaved RoPE, which the importer undoes
    /// (the converter does so for the <c>llama</c> architecture only).
    /// </summary>
    public bool GgufPermutesQk { get; init; }

    public static DecoderFamily Llama { get; } = new()
    {
        ClassName = "LlamaForCausalLM", GgufArchitecture = "llama", Window = SlidingWindowLayers.None, GgufPermutesQk = true,
    };

    /// <summary>A Mistral converts to the <c>llama</c> GGUF architecture, which has no window key (as llama.cpp runs it).</summary>
    public static DecoderFamily Mistral { get; } = Llama with { ClassName = "MistralForCausalLM", Window = SlidingWindowLayers.Every };

    public static DecoderFamily Qwen2 { get; } = new()
    {
        ClassName = "Qwen2ForCausalLM", GgufArchitecture = "qwen2", Window = SlidingWindowLayers.FromMaxWindowLayers, QkvBias = true,
    };

    public static DecoderFamily Qwen3 { get; } = new()
    {
        ClassName = "Qwen3ForCausalLM", GgufArchitecture = "qwen3", Window = SlidingWindowLayers.FromMaxWindowLayers, QkNorm = true,
    };

    /// <summary>Phi-3 and 3.5 (LongRoPE comes with the config's <c>rope_scaling</c>).</summary>
    public static DecoderFamily Phi3 { get; } = new()
    {
        ClassName = "Phi3ForCausalLM", GgufArchitecture = "phi3", Window = SlidingWindowLayers.Every, FusedProjections = true,
    };

    /// <summary>Gemma 2: GeGLU, scaled embeddings, (1 + w) sandwich norms, soft-capping, a window on every other layer.</summary>
    public static DecoderFamily Gemma2 { get; } = new()
    {
        ClassName = "Gemma2ForCausalLM", GgufArchitecture = "gemma2", Window = SlidingWindowLayers.EvenLayers,
        Activation = "gelu_pytorch_tanh", TiedByDefault = true, ScaledEmbedding = true, OffsetNorms = true, SandwichNorms = true, GemmaAttention = true,
    };

    /// <summary>Gemma 3 (text): Gemma 2's layer with q/k norms and local RoPE, no soft-capping (a config may not set it either), global layers by a pattern.</summary>
    public static DecoderFamily Gemma3 { get; } = Gemma2 with
    {
        ClassName = "Gemma3ForCausalLM", GgufArchitecture = "gemma3", Window = SlidingWindowLayers.Pattern, QkNorm = true, LocalRope = true,
    };

    public static IReadOnlyList<DecoderFamily> All { get; } = [Llama, Mistral, Qwen2, Qwen3, Phi3, Gemma2, Gemma3];

    public static DecoderFamily? Find(string className) => All.FirstOrDefault(f => f.ClassName == className);

}

/// <summary>Where a family applies config.json's <c>sliding_window</c>, as its Hugging Face modeling code does.</summary>
public enum SlidingWindowLayers
{
    /// <summary>The family has no sliding window: a config that sets one is refused.</summary>
    None,

    /// <summary>Every layer (Mistral).</summary>
    Every,

    /// <summary>Layers 0, 2, 4, ... (Gemma 2); a <c>layer_types</c> list, where given, names each layer's kind instead.</summary>
    EvenLayers,

    /// <summary>
    /// Every layer but each <c>sliding_window_pattern</c>-th (layer i is global when (i + 1) is a multiple of it; Gemma 3);
    /// a <c>layer_types</c> list, where given, names each layer's kind instead.
    /// </summary>
    Pattern,

    /// <summary>
    /// Only with <c>use_sliding_window</c>, and then layers from <c>max_window_layers</c> on (Qwen2, Qwen3); a
    /// <c>layer_types</c> list, where given, names each layer's kind instead.
    /// </summary>
    FromMaxWindowLayers,
}
