using Llmc.Runtime.Benchmarking;
using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Evaluation;

/// <summary>
/// How far one engine's next-token distributions are from another's on the same text, as llama.cpp's
/// <c>llama-perplexity --kl-divergence</c> measures a quantization against its base: over the scored positions of the
/// same chunks (<see cref="EvaluationChunks"/>), KL(base ‖ other) = Σ p_base · (log p_base − log p_other), whether the
/// two agree on the most likely token, and each one's perplexity.
/// </summary>
public static class KlDivergenceEvaluator
{
    /// <param name="onChunk">Called after each chunk with its 1-based number and the mean KL divergence so far.</param>
    public static KlDivergenceResult Evaluate(Engine baseline, Engine other, string text, string source, int ctx, Action<int, double>? onChunk = null)
    {
        if (!baseline.Tokenizer.Model.Pieces.AsSpan().SequenceEqual(other.Tokenizer.Model.Pieces))
            throw new LlmcException($"{other.Path} has another vocabulary than {baseline.Path}: KL divergence compares distributions over the same tokens");
        if (ctx > other.Context) throw new LlmcException($"--ctx {ctx} is larger than {other.Path}'s context of {other.Context} tokens");
        var chunks = new EvaluationChunks(baseline, text, source, ctx);
        var vocab = baseline.Manifest.Model.VocabSize;
        var divergences = new List<double>();
        double baseNll = 0, otherNll = 0;
        long agree = 0;
        for (var c = 0; c < chunks.Count; c++)
        {
            var chunk = chunks.Chunk(c);
            var p = baseline.Logits(chunk);
            var q = other.Logits(chunk);
            for (var j = chunks.FirstScored; j < ctx - 1; j++)
            {
                var rowP = p.AsSpan(j * vocab, vocab);
                var rowQ = q.AsSpan(j * vocab, vocab);
                var (logZp, logZq) = (LogitRow.LogSumExp(rowP), LogitRow.LogSumExp(rowQ));
                double kl = 0;
                for (var t = 0; t < vocab; t++)
                {
                    var logP = rowP[t] - logZp;
                    kl += Math.Exp(logP) * (logP - (rowQ[t] - logZq));
                }
                // Rounding can leave a hair below zero when the two rows are equal.
                divergences.Add(Math.Max(kl, 0));
                if (LogitRow.ArgMax(rowP) == LogitRow.ArgMax(rowQ)) agree++;
                baseNll += logZp - rowP[chunk[j + 1]];
                otherNll += logZq - rowQ[chunk[j + 1]];
            }
            onChunk?.Invoke(c + 1, divergences.Average());
        }
        var scored = divergences.Count;
        var spread = Percentiles.Of(divergences);
        return new KlDivergenceResult(divergences.Average(), divergences.Max(), spread.Median, spread.P99, (double)agree / scored,
            Math.Exp(baseNll / scored), Math.Exp(otherNll / scored), chunks.Count, scored);
    }
}
