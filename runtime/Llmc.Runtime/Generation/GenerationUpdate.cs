namespace Llmc.Runtime.Generation;

/// <summary>One item of a streamed generation: a piece of text as it is produced, or, last, the finished result.</summary>
public sealed record GenerationUpdate(string? Piece, GenerationResult? Result)
{
    /// <summary>With a piece: the log-probabilities of the tokens generated since the previous piece, when asked for.</summary>
    public IReadOnlyList<TokenLogprob>? Logprobs { get; init; }
}
