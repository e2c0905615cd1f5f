namespace Llmc.Runtime.Devices;

/// <summary>
/// One forward step: a flat list of token rows from any number of sequences, no padding. Row r has its token, its
/// position in its sequence, and <see cref="RowBlocks"/>[r], where its sequence's block table starts in
/// <see cref="BlockTables"/> (<see cref="Ir.Quantization.KvBlockTable"/>). A sequence's rows may lie anywhere in the
/// step, at any positions (the scheduler sends a prefill chunk or one decode row, adjacent and consecutive), as long as
/// no two rows write one pool row (<see cref="StepInputs.Check"/>). <see cref="LogitRows"/> are the rows whose logits (or sampled tokens) come back.
/// </summary>
public readonly ref struct StepBatch(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> rowBlocks, ReadOnlySpan<int> blockTables, ReadOnlySpan<int> logitRows)
{
    public ReadOnlySpan<int> Tokens { get; } = tokens;

    public ReadOnlySpan<int> Positions { get; } = positions;

    public ReadOnlySpan<int> RowBlocks { get; } = rowBlocks;

    public ReadOnlySpan<int> BlockTables { get; } = blockTables;

    public ReadOnlySpan<int> LogitRows { get; } = logitRows;

    public int Rows => Tokens.Length;

    /// <summary>The values of step input <paramref name="role"/> (one of <see cref="Plan.PlanRoles.StepInputs"/>), as executors upload them.</summary>
    public ReadOnlySpan<int> Input(string role) => role switch
    {
        Plan.PlanRoles.Tokens => Tokens,
        Plan.PlanRoles.Positions => Positions,
        Plan.PlanRoles.BlockTables => BlockTables,
        Plan.PlanRoles.RowBlocks => RowBlocks,
        Plan.PlanRoles.LogitRows => LogitRows,
        _ => throw new ArgumentException($"'{role}' is not a step input", nameof(role)),
    };
}
