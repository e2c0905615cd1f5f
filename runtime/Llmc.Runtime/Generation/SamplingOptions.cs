namespace Llmc.Runtime.Generation;

/// <summary>How the next token is chosen. Temperature 0 is greedy (argmax).</summary>
public sealed record SamplingOptions
{
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keep the k most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Keep the smallest set whose probability reaches p; 1 keeps all.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Drop tokens less likely than min_p times the most likely one; 0 keeps all.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Divides positive logits (multiplies negative ones) of tokens already seen; 1 is off.</summary>
    public float RepetitionPenalty { get; init; } = 1.0f;

    /// <summary>How many of the latest tokens the repetition penalty looks at.</summary>
    public int RepetitionWindow { get; init; } = 64;

    /// <summary>
    /// Subtracted once from the logit of every token the sequence has generated so far (OpenAI's presence_penalty; the
    /// prompt does not count, as in vLLM); 0 is off.
    /// </summary>
    public float PresencePenalty { get; init; }

    /// <summary>Subtracted from a token's logit once per time the sequence has generated it (OpenAI's frequency_penalty); 0 is off.</summary>
    public float FrequencyPenalty { get; init; }

    public int? Seed { get; init; }

    /// <summary>Whether a device sampler must leave these options to the host: it has no presence or frequency penalty.</summary>
    public bool PenalizesGenerated => PresencePenalty != 0 || FrequencyPenalty != 0;

    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    public void Validate()
    {
        if (Temperature < 0 || float.IsNaN(Temperature)) throw new LlmcException($"temperature must be >= 0, got {Temperature}");
        if (TopK < 0) throw new LlmcException($"top-k must be >= 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new LlmcException($"top-p must be in (0, 1], got {TopP}");
        if (!(MinP >= 0 && MinP < 1)) throw new LlmcException($"min-p must be in [0, 1), got {MinP}");
        if (!(RepetitionPenalty > 0)) throw new LlmcException($"repetition penalty must be > 0, got {RepetitionPenalty}");
        if (!(PresencePenalty >= -2 && PresencePenalty <= 2)) throw new LlmcException($"presence penalty must be in [-2, 2], got {PresencePenalty}");
        if (!(FrequencyPenalty >= -2 && FrequencyPenalty <= 2)) throw new LlmcException($"frequency penalty must be in [-2, 2], got {FrequencyPenalty}");
        if (RepetitionWindow < 0) throw new LlmcException($"repetition window must be >= 0, got {RepetitionWindow}");
    }
}
