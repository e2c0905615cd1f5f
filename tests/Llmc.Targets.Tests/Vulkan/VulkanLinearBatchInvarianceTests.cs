using Llmc.Targets.Conformance;
using Llmc.Targets.Gpu.Templates;
using Llmc.Targets.Tests.Conformance;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>
/// The Vulkan linear kernels give every row of a step the many-rows code runs (from
/// 2 × <see cref="MatVecLayout.AnyStepRows"/> rows on: 64-row tiles, quantized activation codes staged a chunk at a
/// time) the bits the kernel of any step gives it alone (<see cref="LinearBatchInvariance"/>), in both variants.
/// </summary>
[Collection(VulkanCollection.Name)]
public sealed class VulkanLinearBatchInvarianceTests
{
    public static TheoryData<string> Cases => LinearBatchInvariance.Cases(TargetConformance.CasesFor(new VulkanTarget()), minRows: 2 * MatVecLayout.AnyStepRows);

    [VulkanConformanceTheory]
    [MemberData(nameof(Cases))]
    public void Plain(string name) => LinearBatchInvariance.Check(ConformanceExecutors.Vulkan(GlslDialect.Instance), ConformanceCases.Get(name), tasks: 1);

    [VulkanConformanceTheory(subgroups: true)]
    [MemberData(nameof(Cases))]
    public void Subgroup(string name) => LinearBatchInvariance.Check(ConformanceExecutors.Vulkan(GlslDialect.WithSubgroups), ConformanceCases.Get(name), tasks: 1);
}
