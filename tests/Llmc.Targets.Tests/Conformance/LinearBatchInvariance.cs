using Llmc.Ir;
using Llmc.Targets.Conformance;

namespace Llmc.Targets.Tests.Conformance;

/// <summary>
/// Batching must not change a request's tokens: a linear kernel gives every row of a step the same bits as when that
/// row runs alone, whatever tiles, column blocks or code (a GPU kernel's many-rows code) the larger step takes.
/// </summary>
public static class LinearBatchInvariance
{
    /// <summary>The linear-family cases (f32, f16/bf16 and quantized weights) of one step of at least <paramref name="minRows"/> rows among <paramref name="cases"/>.</summary>
    public static TheoryData<string> Cases(IEnumerable<ConformanceCase> cases, int minRows) => new(cases
        .Where(c => c.Kernel.Operands.Count > 1 && (c.Kernel.Operands[1].DType is DType.F16 or DType.BF16 or DType.F32 || c.Kernel.Operands[1].DType.IsQuantized())
            && c.Kernel.Template.Contains("linear", StringComparison.Ordinal) && c.Steps is [var step] && step.Symbols["seq"] >= minRows)
        .Select(c => c.Name));

    /// <summary>Runs the case's step whole, then each row alone, and asserts the rows' bits are equal.</summary>
    public static void Check(IKernelExecutor executor, ConformanceCase c, int tasks)
    {
        var step = c.Steps.Single();
        var rows = step.Symbols["seq"];
        var together = executor.Run(c.Kernel, step.Operands, step.Symbols, tasks).Floats;
        var width = together.Length / rows;
        for (var r = 0; r < rows; r++)
        {
            // Every operand with a row per token (x, a residual) cut down to row r.
            var alone = step.Operands.Select((t, i) => c.Kernel.Operands[i][0].Symbol == "seq" ? RowOf(t, r) : t).ToList();
            var single = executor.Run(c.Kernel, alone, new Dictionary<string, int>(step.Symbols) { ["seq"] = 1 }, tasks).Floats;
            for (var j = 0; j < width; j++)
                Assert.True(BitConverter.SingleToInt32Bits(single[j]) == BitConverter.SingleToInt32Bits(together[r * width + j]),
                    $"row {r} column {j}: {single[j]:R} alone, {together[r * width + j]:R} among {rows} rows");
        }
    }

    private static HostTensor RowOf(HostTensor t, int row)
    {
        var width = t.Length / t.Shape[0];
        return new HostTensor([1, .. t.Shape[1..]], t.Floats.AsSpan(row * width, width).ToArray());
    }
}
