namespace Llmc.Runtime.Evaluation;

/// <summary>The outcome of <see cref="KlDivergenceEvaluator"/> over every scored position.</summary>
/// <param name="TopOneAgreement">The fraction of positions where both engines' most likely token is the same.</param>
public sealed record KlDivergenceResult(double MeanKld, double MaxKld, double MedianKld, double P99Kld, double TopOneAgreement,
    double BasePerplexity, double OtherPerplexity, int Chunks, long TokensScored);
