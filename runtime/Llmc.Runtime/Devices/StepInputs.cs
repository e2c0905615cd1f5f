using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Devices;

/// <summary>
/// Checks one forward step's inputs before any device sees them, so a bad call is an error, not memory corruption.
/// One per executor: its scratch sets are reused, so a check allocates nothing.
/// </summary>
public sealed class StepInputs(SymbolBounds bounds, int context, int vocab)
{
    private readonly HashSet<long> _slots = new(bounds.MaxSeq);

    /// <summary>
    /// Throws an <see cref="LlmcException"/> naming the first problem: row and table counts, ids, positions, block
    /// table entries outside the table or the pool, and two rows writing one pool row. A sequence's rows may lie apart
    /// in the step and at any positions.
    /// </summary>
    public void Check(StepBatch step)
    {
        int rows = step.Rows, blockSize = bounds.Pool.BlockSize;
        if (rows == 0 || rows > bounds.MaxSeq)
            throw new LlmcException($"a step takes 1 to {bounds.MaxSeq} tokens, got {rows}");
        if (step.Positions.Length != rows || step.RowBlocks.Length != rows)
            throw new LlmcException($"{rows} tokens but {step.Positions.Length} positions and {step.RowBlocks.Length} row block starts");
        if (step.LogitRows.Length > rows)
            throw new LlmcException($"{step.LogitRows.Length} logit rows for {rows} tokens");
        if (step.BlockTables.Length > bounds.TableEntries)
            throw new LlmcException($"{step.BlockTables.Length} block table entries; a step holds at most {bounds.TableEntries}");
        foreach (var t in step.Tokens)
            if ((uint)t >= (uint)vocab) throw new LlmcException($"token id {t} outside the vocabulary of {vocab}");
        foreach (var b in step.BlockTables)
            if ((uint)b >= (uint)bounds.Pool.Blocks) throw new LlmcException($"block {b} outside the KV pool of {bounds.Pool.Blocks} blocks");
        foreach (var r in step.LogitRows)
            if ((uint)r >= (uint)rows) throw new LlmcException($"logit row {r} outside the step's {rows} rows");
        var slots = _slots;
        slots.Clear();
        for (var r = 0; r < rows; r++)
        {
            var (p, start) = (step.Positions[r], step.RowBlocks[r]);
            if ((uint)p >= (uint)context) throw new LlmcException($"position {p} beyond the context of {context} tokens");
            if (start < 0 || (long)start + p / blockSize >= step.BlockTables.Length)
                throw new LlmcException($"row {r} at position {p} needs block table entry {(long)start + p / blockSize}, outside the step's {step.BlockTables.Length}");
            if (!slots.Add((long)step.BlockTables[start + p / blockSize] * blockSize + p % blockSize))
                throw new LlmcException($"row {r} writes the KV slot of an earlier row of the step");
        }
    }
}
