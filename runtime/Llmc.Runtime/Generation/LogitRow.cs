namespace Llmc.Runtime.Generation;

/// <summary>What sampling, log-probabilities and evaluation read off one row of logits.</summary>
public static class LogitRow
{
    /// <summary>The index of the largest logit (the first of equal ones).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>log Σ exp(logits): the softmax's normalizer, in double so that long sums of small terms keep their precision.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        double max = float.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        return max + Math.Log(sum);
    }
}
