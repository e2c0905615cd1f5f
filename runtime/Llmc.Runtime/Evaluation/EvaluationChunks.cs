namespace Llmc.Runtime.Evaluation;

/// <summary>
/// The chunks of llama.cpp's <c>llama-perplexity</c> protocol, shared by perplexity and KL divergence: the whole text is
/// tokenized once (BOS added as the tokenizer does), cut into chunks of <c>ctx</c> tokens (the remainder dropped), each
/// chunk's first token replaced by BOS and run as a fresh sequence from position 0, and only the second half of each
/// chunk scored (the first half gives every scored token at least ctx/2 tokens of context).
/// </summary>
public sealed class EvaluationChunks
{
    private readonly int[] _tokens;
    private readonly int? _bos;

    /// <param name="source">Names the text in error messages (usually its path).</param>
    public EvaluationChunks(Engine engine, string text, string source, int ctx)
    {
        if (ctx < 2) throw new LlmcException($"--ctx must be at least 2, got {ctx}");
        if (ctx > engine.Context)
            throw new LlmcException($"--ctx {ctx} is larger than this engine's context of {engine.Context} tokens");
        _bos = engine.Tokenizer.AddBos ? engine.Tokenizer.BosId : null;
        _tokens = engine.Tokenizer.Encode(text, _bos is not null);
        if (_tokens.Length < 2 * ctx)
            throw new LlmcException($"{source} has {_tokens.Length} tokens; --ctx {ctx} needs at least {2 * ctx}");
        Size = ctx;
        Count = _tokens.Length / ctx;
    }

    /// <summary>Tokens per chunk.</summary>
    public int Size { get; }

    public int Count { get; }

    /// <summary>The first position whose prediction is scored; positions FirstScored..Size-2 predict tokens FirstScored+1..Size-1.</summary>
    public int FirstScored => Size / 2;

    public long ScoredPerChunk => Size - 1 - FirstScored;

    /// <summary>Chunk <paramref name="index"/>'s tokens, its first replaced by BOS where the tokenizer adds one.</summary>
    public int[] Chunk(int index)
    {
        var chunk = _tokens.AsSpan(index * Size, Size).ToArray();
        if (_bos is { } bos) chunk[0] = bos;
        return chunk;
    }
}
