using Llmc.Targets.Conformance;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>
/// The vulkan suite (<see cref="TargetConformance.CasesFor"/>: the shared cases, kv8 caches, f16/bf16 weights) on the
/// Vulkan device (lavapipe in CI) against the IR reference: relative L2 below
/// <see cref="ConformanceChecker.F32Tolerance"/>, results poisoned with NaN first, KV-cache states compared after every step.
/// Cases whose template the vulkan target does not support yet are reported as skipped with that reason.
/// </summary>
[Collection(VulkanCollection.Name)]
public sealed class VulkanConformanceTests
{
    public static TheoryData<string> Cases => new(TargetConformance.CasesFor(new VulkanTarget()).Select(c => c.Name));

    [VulkanConformanceTheory]
    [MemberData(nameof(Cases))]
    public void Case(string name) => ConformanceAssert.Passes(ConformanceCases.Get(name), ConformanceExecutors.Vulkan(GlslDialect.Instance), tasks: 1);

    /// <summary>The same cases with the subgroup variant (reductions by subgroup arithmetic; lavapipe's subgroups have 8 lanes).</summary>
    [VulkanConformanceTheory(subgroups: true)]
    [MemberData(nameof(Cases))]
    public void SubgroupCase(string name) =>
        ConformanceAssert.Passes(ConformanceCases.Get(name), ConformanceExecutors.Vulkan(GlslDialect.WithSubgroups), tasks: 1);
}
