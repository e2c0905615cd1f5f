namespace Llmc.Runtime.Plan;

/// <summary>
/// How big the KV block pool of a loaded engine is: chosen at load time, not baked into the engine. The pool holds
/// <see cref="KvMemoryBytes"/> of blocks where that is given, else enough for <see cref="MaxSequences"/> sequences
/// of the whole context.
/// </summary>
public sealed record KvPoolOptions
{
    public const int DefaultBlockSize = 16;
    public const int DefaultMaxSequences = 16;

    /// <summary>
    /// Positions per KV block; must divide the engine's context. Null takes <see cref="DefaultBlockSize"/>, or the
    /// largest power of two below it that divides the context.
    /// </summary>
    public int? BlockSize { get; init; }

    /// <summary>The most sequences that run at once (their rows share steps).</summary>
    public int MaxSequences { get; init; } = DefaultMaxSequences;

    /// <summary>Bytes of KV cache across all layers; null sizes the pool for <see cref="MaxSequences"/> whole contexts.</summary>
    public long? KvMemoryBytes { get; init; }

    /// <summary>The symbol bounds of <paramref name="plan"/> with this pool, or an error naming the option that does not fit.</summary>
    public SymbolBounds Resolve(ExecutionPlan plan)
    {
        var blockSize = BlockSize ?? DefaultBlockSize;
        while (BlockSize is null && plan.Context % blockSize != 0) blockSize /= 2;
        if (blockSize < 1 || plan.Context % blockSize != 0)
            throw new LlmcException($"KV block size {blockSize} does not divide the engine's context of {plan.Context} positions");
        if (MaxSequences < 1) throw new LlmcException($"max sequences must be at least 1, got {MaxSequences}");
        var blocksPerSequence = plan.Context / blockSize;
        var blockBytes = PlanShapes.KvBytesPerPosition(plan) * blockSize;
        long blocks = KvMemoryBytes is { } budget ? budget / Math.Max(1, blockBytes) : (long)MaxSequences * blocksPerSequence;
        if (blocks < 1)
            throw new LlmcException($"a KV memory of {KvMemoryBytes} bytes holds no block of {blockSize} positions ({blockBytes} bytes); give at least {blockBytes}");
        if (blocks > int.MaxValue / blockSize)
            throw new LlmcException($"a KV pool of {blocks} blocks of {blockSize} positions is too large to address");
        return new SymbolBounds(plan.MaxSeq, Math.Min(plan.MaxSeq, MaxSequences) * blocksPerSequence, new KvPoolSize((int)blocks, blockSize));
    }
}
