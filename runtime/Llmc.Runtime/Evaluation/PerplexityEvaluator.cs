namespace Llmc.Runtime.Evaluation;

/// <summary>
/// Perplexity by llama.cpp's <c>llama-perplexity</c> protocol (<see cref="EvaluationChunks"/>), so figures compare with
/// its published ones.
/// </summary>
public static class PerplexityEvaluator
{
    /// <param name="source">Names the text in error messages (usually its path).</param>
    /// <param name="onChunk">Called after each chunk with its 1-based number and the perplexity so far.</param>
    public static PerplexityResult Evaluate(Engine engine, string text, string source, int ctx, Action<int, double>? onChunk = null)
    {
        var chunks = new EvaluationChunks(engine, text, source, ctx);
        var vocab = engine.Manifest.Model.VocabSize;
        double totalNll = 0;
        long scored = 0;
        for (var c = 0; c < chunks.Count; c++)
        {
            var chunk = chunks.Chunk(c);
            var logits = engine.Logits(chunk);
            // Logits at position j predict the original token j + 1 (only position 0 was replaced by BOS).
            for (var j = chunks.FirstScored; j < ctx - 1; j++)
            {
                var row = logits.AsSpan(j * vocab, vocab);
                totalNll += Generation.LogitRow.LogSumExp(row) - row[chunk[j + 1]];
                scored++;
            }
            onChunk?.Invoke(c + 1, Math.Exp(totalNll / scored));
        }
        var mean = totalNll / scored;
        return new PerplexityResult(Math.Exp(mean), chunks.Count, scored, mean);
    }
}
