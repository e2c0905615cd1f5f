namespace Llmc.Runtime.Evaluation;

/// <summary>The outcome of a perplexity run: exp of the mean negative log-likelihood over every scored token.</summary>
public sealed record PerplexityResult(double Perplexity, int Chunks, long TokensScored, double MeanNegativeLogLikelihood);
