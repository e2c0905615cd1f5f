using Llmc.Runtime.Devices.Cpu;
using Llmc.Targets.Conformance;

namespace Llmc.Targets.Tests.Cpu;

/// <summary>Every conformance case on both CPU dialects, with 1, 2 and 3 tasks per launch.</summary>
[Collection(CpuCompileCollection.Name)]
public sealed class CpuConformanceTests
{
    private static readonly int[] TaskCounts = [1, 2, 3];

    public static TheoryData<string> Cases => new(ConformanceCases.Every.Select(c => c.Name));

    [CpuTheory(CpuIsa.Avx2Target)]
    [MemberData(nameof(Cases))]
    public void Avx2(string name) => Check(CpuIsa.Avx2Target, name);

    [CpuTheory(CpuIsa.Avx512Target)]
    [MemberData(nameof(Cases))]
    public void Avx512(string name) => Check(CpuIsa.Avx512Target, name);

    private static void Check(string target, string name)
    {
        var executor = ConformanceExecutors.Cpu(target);
        foreach (var tasks in TaskCounts) ConformanceAssert.Passes(ConformanceCases.Get(name), executor, tasks);
    }
}
