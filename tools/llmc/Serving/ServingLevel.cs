using Llmc.Runtime.Benchmarking;

namespace Llmc.Cli.Serving;

/// <summary>One concurrency level of <see cref="ServingBenchmark"/>, in the terms of vLLM's serving benchmark.</summary>
/// <param name="Concurrency">Clients streaming at once.</param>
/// <param name="Completed">Requests that streamed to <c>[DONE]</c> with all their tokens.</param>
/// <param name="Failed">Requests that got an error status, broke off, or came back short.</param>
/// <param name="OutputTokensPerSecond">Output tokens of completed requests over the level's wall time.</param>
/// <param name="TimeToFirstTokenMs">From sending a request to its first piece of text.</param>
/// <param name="TimePerOutputTokenMs">Per request: (end-to-end − time to first token) / (output tokens − 1).</param>
/// <param name="InterTokenLatencyMs">Every gap between two pieces of text of one request.</param>
/// <param name="EndToEndMs">From sending a request to its <c>[DONE]</c>.</param>
/// <param name="FirstError">What the first failed request said, if one failed.</param>
public sealed record ServingLevel(int Concurrency, int Completed, int Failed, double Seconds, long OutputTokens, double OutputTokensPerSecond,
    double RequestsPerSecond, Percentiles TimeToFirstTokenMs, Percentiles TimePerOutputTokenMs, Percentiles InterTokenLatencyMs, Percentiles EndToEndMs,
    string? FirstError);
