using Llmc.Runtime.Devices.Cpu;
using Llmc.Targets.Conformance;
using Llmc.Targets.Tests.Conformance;

namespace Llmc.Targets.Tests.Cpu;

/// <summary>
/// The CPU linear kernels give every row the same bits whether it runs alone (one-row tiles) or among others (many-row
/// tiles, the quantized kernel's column pairs and blocks) (<see cref="LinearBatchInvariance"/>). Covers f32, the
/// 16-bit weights, whose f16 conversion moves a power of two to whichever side of the product has fewer loads, every
/// quantized format, and the fused norm and epilogues.
/// </summary>
[Collection(CpuCompileCollection.Name)]
public sealed class CpuLinearBatchInvarianceTests
{
    public static TheoryData<string> Cases => LinearBatchInvariance.Cases(ConformanceCases.Every, minRows: 3);

    [CpuTheory(CpuIsa.Avx2Target)]
    [MemberData(nameof(Cases))]
    public void Avx2(string name) => LinearBatchInvariance.Check(ConformanceExecutors.Cpu(CpuIsa.Avx2Target), ConformanceCases.Get(name), tasks: 2);

    [CpuTheory(CpuIsa.Avx512Target)]
    [MemberData(nameof(Cases))]
    public void Avx512(string name) => LinearBatchInvariance.Check(ConformanceExecutors.Cpu(CpuIsa.Avx512Target), ConformanceCases.Get(name), tasks: 2);
}
