namespace Llmc.Runtime.Devices;

/// <summary>Checks one forward step's inputs before any device sees them, so a bad call is an error, not memory corruption.</summary>
public static class StepInputs
{
    public static void Check(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> logitRows, int maxSeq, int context, int vocab)
    {
        if (tokens.Length == 0 || tokens.Length > maxSeq)
            throw new LlmcException($"a step takes 1 to {maxSeq} tokens, got {tokens.Length}");
        if (positions.Length != tokens.Length)
            throw new LlmcException($"{tokens.Length} tokens but {positions.Length} positions");
        if (logitRows.Length > tokens.Length)
            throw new LlmcException($"{logitRows.Length} logit rows for {tokens.Length} tokens");
        foreach (var t in tokens)
            if ((uint)t >= (uint)vocab) throw new LlmcException($"token id {t} outside the vocabulary of {vocab}");
        foreach (var p in positions)
            if ((uint)p >= (uint)context) throw new LlmcException($"position {p} beyond the context of {context} tokens");
        foreach (var r in logitRows)
            if ((uint)r >= (uint)tokens.Length) throw new LlmcException($"logit row {r} outside the step's {tokens.Length} rows");
    }
}
