namespace Llmc.Runtime.Plan;

/// <summary>The largest value each plan symbol takes on one loaded engine: what its buffers are sized for.</summary>
/// <param name="MaxSeq">Rows of a step (<c>seq</c>, <c>out</c>).</param>
/// <param name="TableEntries">Block table entries of a step (<c>kv_table</c>).</param>
/// <param name="Pool">The KV pool (<c>kv_blocks</c>, <c>kv_block</c>).</param>
public sealed record SymbolBounds(int MaxSeq, int TableEntries, KvPoolSize Pool)
{
    /// <summary>Bounds for buffers that only depend on a step's rows; the KV symbols are unbound.</summary>
    public static SymbolBounds Rows(int maxSeq) => new(maxSeq, -1, new KvPoolSize(-1, -1));

    public int this[string symbol] => symbol switch
    {
        "seq" or "out" => MaxSeq,
        "kv_table" => Bound(TableEntries, symbol),
        "kv_blocks" => Bound(Pool.Blocks, symbol),
        "kv_block" => Bound(Pool.BlockSize, symbol),
        _ => throw new LlmcException($"unknown plan symbol '{symbol}'"),
    };

    private static int Bound(int value, string symbol) =>
        value >= 0 ? value : throw new LlmcException($"plan symbol '{symbol}' has no bound here: the KV pool is sized when an engine is loaded");

    /// <summary>The symbols a kernel sees, in <see cref="PlanSymbols"/> order, for a step of the given rows and table entries.</summary>
    public void Write(Span<int> dims, int rows, int outRows, int tableEntries)
    {
        dims[PlanSymbols.Seq] = rows;
        dims[PlanSymbols.Out] = outRows;
        dims[PlanSymbols.KvTable] = tableEntries;
        dims[PlanSymbols.KvBlocks] = Pool.Blocks;
        dims[PlanSymbols.KvBlock] = Pool.BlockSize;
    }
}

/// <summary>A KV pool: <paramref name="Blocks"/> blocks of <paramref name="BlockSize"/> positions, in every attention layer's caches.</summary>
public readonly record struct KvPoolSize(int Blocks, int BlockSize);
