using Llmc.Runtime.Devices;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Tests.Devices;

public class StepInputsTests
{
    // A pool of 8 blocks of 4 positions; a step of up to 16 rows; a context of 32; 100 token ids.
    private static readonly StepInputs Inputs = new(new SymbolBounds(16, int.MaxValue, new KvPoolSize(8, 4)), 32, 100);

    // Sequence A's table starts at entry 0 (blocks 5, 2), sequence B's at entry 2 (block 7).
    private static readonly int[] Tables = [5, 2, 7];

    private static void Check(int[] positions, int[] rowBlocks) =>
        Inputs.Check(new StepBatch([.. positions.Select(p => 1 + p)], positions, rowBlocks, Tables, [0]));

    [Fact]
    public void A_sequences_rows_may_lie_apart_out_of_order_and_with_gaps()
    {
        // A at 5, 6; B at 0; A at 0, 1; B at 3; A at 7 (positions 2..4 of A not in the step).
        Check([5, 6, 0, 0, 1, 3, 7], [0, 0, 2, 0, 0, 2, 0]);
    }

    [Fact]
    public void Two_rows_writing_one_pool_row_are_refused()
    {
        var error = Assert.Throws<LlmcException>(() => Check([1, 0, 1], [0, 2, 0]));
        Assert.Contains("row 2 writes the KV slot of an earlier row", error.Message);
    }

    [Fact]
    public void A_position_past_the_sequences_table_or_the_context_is_refused()
    {
        Assert.Contains("needs block table entry 3", Assert.Throws<LlmcException>(() => Check([0, 4], [0, 2])).Message);
        Assert.Contains("beyond the context of 32", Assert.Throws<LlmcException>(() => Check([32], [0])).Message);
    }
}
