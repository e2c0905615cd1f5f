using Llmc.Ir;

namespace Llmc.Compiler.Synth;

/// <summary>What <c>llmc synth</c> was asked for.</summary>
public sealed record SynthOptions
{
    /// <summary>A Llama-family config.json.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The HuggingFace folder to write (created if missing).</summary>
    public required string Output { get; init; }

    public DType DType { get; init; } = DType.BF16;

    public ulong Seed { get; init; }

    /// <summary>A tokenizer.json to copy instead of generating a byte-level one.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Weights above this size are split into shards listed by model.safetensors.index.json.</summary>
    public long MaxShardBytes { get; init; } = DefaultMaxShardBytes;

    /// <summary>About the 2 GB transformers writes per shard by default.</summary>
    public const long DefaultMaxShardBytes = 2_000_000_000;
}
