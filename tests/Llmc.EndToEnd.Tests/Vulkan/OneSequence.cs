using Llmc.Runtime.Devices;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary>
/// Steps of one sequence on an executor, as the tests that drive it directly make them: its block table is blocks 0, 1,
/// 2, ... of the pool, covering the whole context, and every row's table starts at entry 0. The arrays are made once, so
/// a step allocates nothing.
/// </summary>
public sealed class OneSequence(IModelExecutor executor)
{
    private readonly int[] _table = [.. Enumerable.Range(0, executor.Context / executor.Pool.BlockSize)];
    private readonly int[] _rowBlocks = new int[executor.MaxSeq];

    public StepBatch Step(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> logitRows) =>
        new(tokens, positions, _rowBlocks.AsSpan(0, tokens.Length), _table, logitRows);
}
