namespace Llmc.Runtime.Generation;

/// <summary>One generation request's settings.</summary>
public sealed record GenerationOptions
{
    public int MaxTokens { get; init; } = 256;

    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Extra strings that end generation (the engine's own stop strings always apply).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Whether to prepend BOS; null uses the tokenizer's default.</summary>
    public bool? AddBos { get; init; }

    /// <summary>Stop when the model emits one of the engine's EOS ids.</summary>
    public bool StopOnEos { get; init; } = true;

    /// <summary>
    /// Report each generated token's log-probability with this many of the most likely tokens at its position (0 to
    /// <see cref="TokenLogprob.MaxTop"/>); null reports none. The logits then come back to the host for every token.
    /// </summary>
    public int? Logprobs { get; init; }
}

public enum FinishReason
{
    /// <summary>An EOS token or a stop string.</summary>
    Stop,

    /// <summary>MaxTokens reached or the context is full.</summary>
    Length,

    Cancelled,
}

/// <summary>
/// Throughput and latency of one generation: <paramref name="Prefill"/> runs from the request's first step to its first
/// token, <paramref name="Decode"/> from then to its end.
/// </summary>
public sealed record GenerationStats(int PromptTokens, int GeneratedTokens, TimeSpan Prefill, TimeSpan Decode)
{
    /// <summary>Prompt tokens whose keys and values came from the prefix cache instead of a prefill.</summary>
    public int CachedPromptTokens { get; init; }

    /// <summary>From the request's arrival (queueing included) to its first generated token.</summary>
    public TimeSpan TimeToFirstToken { get; init; }

    /// <summary>Decode time per token after the first.</summary>
    public TimeSpan TimePerOutputToken => GeneratedTokens > 1 ? Decode / (GeneratedTokens - 1) : TimeSpan.Zero;

    public double PrefillTokensPerSecond => (PromptTokens - CachedPromptTokens) / Math.Max(Prefill.TotalSeconds, 1e-9);

    /// <summary>Tokens after the first per second of decode time (the first comes from the prefill's logits).</summary>
    public double DecodeTokensPerSecond => Math.Max(GeneratedTokens - 1, 0) / Math.Max(Decode.TotalSeconds, 1e-9);
}

/// <summary>The whole outcome of a generation.</summary>
public sealed record GenerationResult(int[] PromptTokens, int[] Tokens, string Text, FinishReason FinishReason, GenerationStats Stats)
{
    /// <summary>Each generated token's log-probability, when the options asked for them (<see cref="GenerationOptions.Logprobs"/>).</summary>
    public IReadOnlyList<TokenLogprob>? Logprobs { get; init; }
}
