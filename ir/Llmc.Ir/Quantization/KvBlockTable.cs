namespace Llmc.Ir.Quantization;

/// <summary>
/// Paged KV addressing, as attention's reference and every kernel compute it. A step's <c>block_tables</c> input
/// (i32[kv_table]) holds the block tables of the sequences in the step, one after another; <c>row_blocks</c>
/// (i32[seq]) gives, for each row, where its sequence's table starts in it. Position p of row r's sequence lives in
/// pool row <c>block_tables[row_blocks[r] + p / block] · block + p % block</c> (<see cref="KvCacheFormat"/>).
/// </summary>
public static class KvBlockTable
{
    /// <summary>The pool row of position <paramref name="position"/> of row <paramref name="row"/>'s sequence, checked against the table and the pool.</summary>
    public static int Slot(ReadOnlySpan<int> tables, ReadOnlySpan<int> rowBlocks, int row, int position, int blockSize, int blocks)
    {
        var entry = (long)rowBlocks[row] + position / blockSize;
        if (rowBlocks[row] < 0 || entry >= tables.Length)
            throw new IrException($"row {row}: position {position} needs block table entry {entry}, outside the step's {tables.Length}");
        var block = tables[(int)entry];
        if ((uint)block >= (uint)blocks) throw new IrException($"row {row}: block table entry {entry} names block {block}, outside the pool of {blocks}");
        return block * blockSize + position % blockSize;
    }

    /// <summary>The graph input holding the step's block tables.</summary>
    public const string TablesInput = "block_tables";

    /// <summary>The graph input holding where each row's table starts.</summary>
    public const string RowBlocksInput = "row_blocks";

    /// <summary>
    /// A pool of one block of <paramref name="context"/> positions: the symbols that size it, for steps of one sequence
    /// whose pool row is its position (<see cref="AddOneBlock"/>).
    /// </summary>
    public static IReadOnlyDictionary<string, int> OneBlockPool(int context) =>
        new Dictionary<string, int> { [Dim.KvBlocks.Symbol!] = 1, [Dim.KvBlock.Symbol!] = context };

    /// <summary>Adds the block-table inputs of a step of <paramref name="rows"/> rows of one sequence held in block 0 of a <see cref="OneBlockPool"/>.</summary>
    public static Dictionary<string, HostTensor> AddOneBlock(Dictionary<string, HostTensor> inputs, int rows)
    {
        inputs[TablesInput] = new HostTensor([1], [0]);
        inputs[RowBlocksInput] = new HostTensor([rows], new int[rows]);
        return inputs;
    }
}
