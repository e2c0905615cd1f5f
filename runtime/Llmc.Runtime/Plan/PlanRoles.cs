namespace Llmc.Runtime.Plan;

/// <summary>Names of the graph inputs and outputs the runtime feeds and reads; model builders use the same names.</summary>
public static class PlanRoles
{
    /// <summary>i32[seq]: the step's token ids.</summary>
    public const string Tokens = "tokens";

    /// <summary>i32[seq]: each token's position in its sequence.</summary>
    public const string Positions = "positions";

    /// <summary>i32[kv_table]: the block tables of the step's sequences, one after another (<see cref="Ir.Quantization.KvBlockTable"/>).</summary>
    public const string BlockTables = Ir.Quantization.KvBlockTable.TablesInput;

    /// <summary>i32[seq]: where each row's sequence's block table starts in <see cref="BlockTables"/>.</summary>
    public const string RowBlocks = Ir.Quantization.KvBlockTable.RowBlocksInput;

    /// <summary>i32[out]: which of the step's rows need logits.</summary>
    public const string LogitRows = "logit_rows";

    /// <summary>f32[out, vocab].</summary>
    public const string Logits = "logits";

    /// <summary>Every input a step feeds, in the order executors lay them out.</summary>
    public static IReadOnlyList<string> StepInputs { get; } = [Tokens, Positions, BlockTables, RowBlocks, LogitRows];
}
