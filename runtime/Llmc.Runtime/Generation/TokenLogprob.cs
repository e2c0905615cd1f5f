namespace Llmc.Runtime.Generation;

/// <summary>
/// A generated token's log-probability under the model, the log-softmax of its raw logits (before penalties,
/// temperature and truncation, as vLLM and OpenAI report it), with the most likely tokens at its position.
/// </summary>
/// <param name="Top">The most likely tokens at this position, most likely first (ties by lower id).</param>
public sealed record TokenLogprob(int Token, float Logprob, IReadOnlyList<TokenAlternative> Top)
{
    /// <summary>The most alternatives a request may ask for (OpenAI's limit for top_logprobs).</summary>
    public const int MaxTop = 20;

    /// <summary>The log-probability of <paramref name="token"/> and the <paramref name="top"/> most likely tokens, from one row of logits.</summary>
    public static TokenLogprob Of(ReadOnlySpan<float> logits, int token, int top)
    {
        var logZ = (float)LogitRow.LogSumExp(logits);
        return new TokenLogprob(token, logits[token] - logZ, Best(logits, top, logZ));
    }

    /// <summary>The <paramref name="top"/> largest logits by insertion into a sorted run: O(vocab · top), top is at most 20.</summary>
    private static TokenAlternative[] Best(ReadOnlySpan<float> logits, int top, float logZ)
    {
        var ids = new int[Math.Min(top, logits.Length)];
        var kept = 0;
        for (var i = 0; i < logits.Length && ids.Length > 0; i++)
        {
            if (kept == ids.Length && logits[i] <= logits[ids[kept - 1]]) continue;
            var at = kept < ids.Length ? kept++ : kept - 1;
            while (at > 0 && logits[ids[at - 1]] < logits[i])
            {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
        }
        var alternatives = new TokenAlternative[ids.Length];
        for (var i = 0; i < ids.Length; i++) alternatives[i] = new TokenAlternative(ids[i], logits[ids[i]] - logZ);
        return alternatives;
    }
}

/// <summary>One of the most likely tokens at a position, with its log-probability.</summary>
public readonly record struct TokenAlternative(int Token, float Logprob);
