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

    public static IReadOnlyList<DecoderFamily> All { get; } = [Llama, Mistral, Qwen2, Qwen3, Phi3];

    public static DecoderFamily? Find(string className) => All.FirstOrDefault(f => f.ClassName == className);

    /// <summary>The family a GGUF file of <paramref name="architecture"/> is built as (the first that converts to it).</summary>
    public static DecoderFamily? FromGguf(string architecture) => All.FirstOrDefault(f => f.GgufArchitecture == architecture);
}

/// <summary>Where a family applies config.json's <c>sliding_window</c>, as its Hugging Face modeling code does.</summary>
public enum SlidingWindowLayers
{
    /// <summary>The family has no sliding window: a config that sets one is refused.</summary>
    None,

    /// <summary>Every layer (Mistral).</summary>
    Every,

    /// <summary>
    /// Only with <c>use_sliding_window</c>, and then layers from <c>max_window_layers</c> on (Qwen2, Qwen3); a
    /// <c>layer_types</c> list, where given, names each layer's kind instead.
    /// </summary>
    FromMaxWindowLayers,
}
