using Llmc.Ir;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Targets.Conformance;

namespace Llmc.Targets.Tests.Cpu;

/// <summary>
/// The linear kernels give every row the same bits whether it runs alone (one-row tiles) or among others (many-row
/// tiles, the quantized kernel's column pairs and blocks): batching must not change a request's tokens. Covers f32,
/// the 16-bit weights, whose f16 conversion moves a power of two to whichever side of the product has fewer loads,
/// every quantized format, and the fused norm and epilogues.
/// </summary>
[Collection(CpuCompileCollection.Name)]
public sealed class CpuLinearBatchInvarianceTests
{
    public static TheoryData<string> Cases => new(ConformanceCases.Every
        .Where(c => c.Kernel.Operands.Count > 1 && (c.Kernel.Operands[1].DType is DType.F16 or DType.BF16 or DType.F32 || c.Kernel.Operands[1].DType.IsQuantized())
            && c.Kernel.Template.Contains("linear", StringComparison.Ordinal) && c.Steps is [var step] && step.Symbols["seq"] >= 3)
        .Select(c => c.Name));

    [CpuTheory(CpuIsa.Avx2Target)]
    [MemberData(nameof(Cases))]
    public void Avx2(string name) => Check(CpuIsa.Avx2Target, name);

    [CpuTheory(CpuIsa.Avx512Target)]
    [MemberData(nameof(Cases))]
    public void Avx512(string name) => Check(CpuIsa.Avx512Target, name);

    private static void Check(string target, string name)
    {
        var c = ConformanceCases.Get(name);
        var executor = ConformanceExecutors.Cpu(target);
        var step = c.Steps.Single();
        var rows = step.Symbols["seq"];
        var together = executor.Run(c.Kernel, step.Operands, step.Symbols, tasks: 2).Floats;
        var width = together.Length / rows;
        for (var r = 0; r < rows; r++)
        {
            // Every operand with a row per token (x, a residual) cut down to row r.
            var alone = step.Operands.Select((t, i) => c.Kernel.Operands[i][0].Symbol == "seq" ? RowOf(t, r) : t).ToList();
            var single = executor.Run(c.Kernel, alone, new Dictionary<string, int>(step.Symbols) { ["seq"] = 1 }, tasks: 2).Floats;
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
