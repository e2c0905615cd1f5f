using Llmc.Targets.Conformance;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// Every conformance case on the GPU against the reference (f32 bound), and the CUDA-only f16/bf16 linear-family cases within
/// <see cref="CudaOnlyCases.Tolerance"/>, and attention's two codes bit for bit; skipped with the reason where no CUDA device can be opened.
/// </summary>
public sealed class CudaConformanceTests
{
    public static TheoryData<string> Cases => new(ConformanceCases.All.Concat(ConformanceCases.Int8KvCache).Select(c => c.Name));

    public static TheoryData<string> AttentionCases => new(ConformanceCases.All.Concat(ConformanceCases.Int8KvCache)
        .Where(c => c.Kernel.Template.StartsWith("attention", StringComparison.Ordinal)).Select(c => c.Name));

    public static TheoryData<string> HalfCases => new(CudaOnlyCases.All.Select(c => c.Name));

    [CudaDeviceTheory]
    [MemberData(nameof(Cases))]
    public void Kernel(string name) => ConformanceAssert.Passes(ConformanceCases.Get(name), ConformanceExecutors.Cuda, tasks: 1);

    /// <summary>The split code (steps of few rows) and the whole-row code give every step's rows the same bits, and pass.</summary>
    [CudaDeviceTheory]
    [MemberData(nameof(AttentionCases))]
    public void SplitAndWholeRowAttentionAgree(string name)
    {
        var c = ConformanceCases.Get(name);
        var agreement = new CudaCodeAgreement(ConformanceExecutors.Cuda);
        Assert.True(agreement.Runs(c.Kernel), $"{name} has one code");
        ConformanceAssert.Passes(c, agreement, tasks: 1);
    }

    [CudaDeviceTheory]
    [MemberData(nameof(HalfCases))]
    public void HalfWeightLinear(string name) => ConformanceAssert.Passes(CudaOnlyCases.Get(name), ConformanceExecutors.Cuda, tasks: 1);
}
