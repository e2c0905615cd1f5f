namespace Llmc.Runtime.Evaluation;

/// <summary>
/// Perplexity by llama.cpp's <c>llama-perplexity</c> protocol, so figures compare with its published ones: the whole text
/// is tokenized once (BOS added as the tokenizer does), cut into chunks of <c>ctx</c> tokens (the remainder dropped), each
/// chunk's first token replaced by BOS and run as a fresh sequence from position 0, and only the second half of each chunk
/// scored (the first half gives every scored token at least ctx/2 tokens of context).
/// </summary>
public static class PerplexityEvaluator
{
    /// <param name="source">Names the text in error messages (usually its path).</param>
    /// <param name="onChunk">Called after each chunk with its 1-based number and the perplexity so far.</param>
    public static PerplexityResult Evaluate(Engine engine, string text, string source, int ctx, Action<int, double>? onChunk = null)
    {
        if (ctx < 2) throw new LlmcException($"--ctx must be at least 2, got {ctx}");
        if (ctx > engine.Context)
            throw new LlmcException($"--ctx {ctx} is larger than this engine's context of {engine.Context} tokens");
        var addBos = engine.Tokenizer.AddBos && engine.Tokenizer.BosId is not null;
        var tokens = engine.Tokenizer.Encode(text, addBos);
        if (tokens.Length < 2 * ctx)
            throw new LlmcException($"{source} has {tokens.Length} tokens; --ctx {ctx} needs at least {2 * ctx}");

        var chunks = tokens.Length / ctx;
        var first = ctx / 2;
        var vocab = engine.Manifest.Model.VocabSize;
        var chunk = new int[ctx];
        double totalNll = 0;
        long scored = 0;
        for (var c = 0; c < chunks; c++)
        {
            tokens.AsSpan(c * ctx, ctx).CopyTo(chunk);
            if (addBos) chunk[0] = engine.Tokenizer.BosId!.Value;
            var logits = engine.Logits(chunk);
            // Logits at position j predict the original token j + 1 (only position 0 was replaced by BOS).
            for (var j = first; j < ctx - 1; j++)
            {
                totalNll += NegativeLogLikelihood(logits.AsSpan(j * vocab, vocab), chunk[j + 1]);
                scored++;
            }
            onChunk?.Invoke(c + 1, Math.Exp(totalNll / scored));
        }
        var mean = totalNll / scored;
        return new PerplexityResult(Math.Exp(mean), chunks, scored, mean);
    }

    /// <summary>-log softmax(logits)[target], in double so that long sums of small terms keep their precision.</summary>
    private static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int target)
    {
        double max = float.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        return Math.Log(sum) - (logits[target] - max);
    }
}
