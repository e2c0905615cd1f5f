namespace Llmc.Runtime.Scheduling;

/// <summary>How the scheduler fills steps; the KV pool's size is <see cref="Plan.KvPoolOptions"/>.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Token rows a step carries at most (decode rows first, then prefill chunks); null is the engine's maximum.</summary>
    public int? MaxBatchTokens { get; init; }

    /// <summary>Whether full KV blocks are kept by a hash of their prefix and reused by later sequences.</summary>
    public bool PrefixCaching { get; init; } = true;
}
