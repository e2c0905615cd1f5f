namespace Llmc.Compiler.Build;

/// <summary>What <c>llmc build</c> was asked for.</summary>
public sealed record BuildOptions
{
    /// <summary>A HuggingFace model folder.</summary>
    public required string Source { get; init; }

    public required string Target { get; init; }

    public required string Output { get; init; }

    /// <summary>KV cache length; defaults to the model's max positions, capped at <see cref="DefaultContextCap"/>.</summary>
    public int? Context { get; init; }

    /// <summary>Most tokens per forward step (prefill chunk); defaults to min(context, 512).</summary>
    public int? MaxBatchTokens { get; init; }

    /// <summary>The passes to run after import; the default pipeline unless <c>--passes</c> names others.</summary>
    public Passes.Pipeline Pipeline { get; init; } = Passes.Pipeline.Default;

    /// <summary>How linear weights are stored: one of <see cref="WeightQuantization.Names"/>.</summary>
    public string Quant { get; init; } = "f32";

    /// <summary>Weights per quantization group along the input dimension.</summary>
    public int GroupSize { get; init; } = WeightQuantization.DefaultGroupSize;

    /// <summary>How the KV cache is stored: one of <see cref="KvCacheStorage.Names"/>.</summary>
    public string KvCache { get; init; } = KvCacheStorage.Default;

    /// <summary>A Jinja chat template file that sets or replaces the model's own (checked to parse at build time).</summary>
    public string? ChatTemplate { get; init; }

    public const int DefaultContextCap = 4096;
}
