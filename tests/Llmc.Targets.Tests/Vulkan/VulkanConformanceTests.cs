using Llmc.Targets.Tests.Conformance;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>
/// Every conformance case on the Vulkan device (lavapipe in CI) against the IR reference: relative L2 below
/// <see cref="ConformanceChecker.F32Tolerance"/>, results poisoned with NaN first, KV-cache states compared after every step.
/// Cases whose template the vulkan target does not support yet are reported as skipped with that reason.
/// </summary>
[Collection(VulkanCollection.Name)]
public sealed class VulkanConformanceTests
{
    public static TheoryData<string> Cases => new(ConformanceCases.All.Select(c => c.Name));

    [VulkanConformanceTheory]
    [MemberData(nameof(Cases))]
    public void Case(string name) => ConformanceChecker.Check(ConformanceCases.Get(name), VulkanKernelExecutor.ForConformance(GlslDialect.Instance), tasks: 1);

    /// <summary>The same cases with the subgroup variant (reductions by subgroup arithmetic; lavapipe's subgroups have 8 lanes).</summary>
    [VulkanConformanceTheory(subgroups: true)]
    [MemberData(nameof(Cases))]
    public void SubgroupCase(string name) =>
        ConformanceChecker.Check(ConformanceCases.Get(name), VulkanKernelExecutor.ForConformance(GlslDialect.WithSubgroups), tasks: 1);
}
