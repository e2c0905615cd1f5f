namespace Llmc.Runtime.Scheduling;

/// <summary>The scheduler's state at one moment, for metrics and tests.</summary>
/// <param name="Running">Sequences admitted (holding KV blocks).</param>
/// <param name="Waiting">Sequences queued for admission (new or preempted).</param>
/// <param name="BlocksInUse">KV blocks some sequence holds.</param>
/// <param name="PeakBlocksInUse">The most KV blocks held at once so far.</param>
/// <param name="BlocksCached">KV blocks nobody holds that serve the prefix cache.</param>
/// <param name="BlocksTotal">KV blocks in the pool.</param>
/// <param name="PrefixHits">Full blocks new sequences found in the prefix cache.</param>
/// <param name="PrefixMisses">Full blocks new sequences looked for and did not find.</param>
/// <param name="Preemptions">Times a sequence gave its blocks back to be recomputed later.</param>
/// <param name="Steps">Forward steps run.</param>
public sealed record SchedulerSnapshot(
    int Running, int Waiting, int BlocksInUse, int PeakBlocksInUse, int BlocksCached, int BlocksTotal,
    long PrefixHits, long PrefixMisses, long Preemptions, long Steps);
