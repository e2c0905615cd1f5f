namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>
/// One Hugging Face decoder class as data: what its layers add to the Llama layer the builder starts from (pre-norm
/// GQA attention with RoPE, SwiGLU MLP) and how config.json's <c>sliding_window</c> applies to its layers. The builder
/// and the importers read these flags; nothing else names an architecture.
/// </summary>
public sealed record DecoderFamily
{
    /// <summary><c>architectures[0]</c> in config.json.</summary>
    public required string ClassName { get; init; }

    /// <summary>Which layers <c>sliding_window</c> applies to.</summary>
    public required SlidingWindowLayers Window { get; init; }

    public static DecoderFamily Llama { get; } = new() { ClassName = "LlamaForCausalLM", Window = SlidingWindowLayers.None };

    public static DecoderFamily Mistral { get; } = new() { ClassName = "MistralForCausalLM", Window = SlidingWindowLayers.Every };

    public static IReadOnlyList<DecoderFamily> All { get; } = [Llama, Mistral];

    public static DecoderFamily? Find(string className) => All.FirstOrDefault(f => f.ClassName == className);
}

/// <summary>Where a family applies config.json's <c>sliding_window</c>, as its Hugging Face modeling code does.</summary>
public enum SlidingWindowLayers
{
    /// <summary>The family has no sliding window: a config that sets one is refused.</summary>
    None,

    /// <summary>Every layer (Mistral).</summary>
    Every,
}
