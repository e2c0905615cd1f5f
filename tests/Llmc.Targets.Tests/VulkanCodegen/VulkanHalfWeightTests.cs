using Llmc.Targets.Tests.Conformance;
using Llmc.Targets.Tests.Vulkan;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.VulkanCodegen;

/// <summary>
/// The f16/bf16-weight conformance cases (kept apart from <see cref="ConformanceCases.All"/>) on the Vulkan device:
/// the GPU linear family reads two half weights per 32-bit word and the embedding reads half tables, so these hold
/// those paths to the same bound against the reference.
/// </summary>
[Collection(VulkanCollection.Name)]
public sealed class VulkanHalfWeightTests
{
    private static readonly Lazy<IKernelExecutor> Executor = new(() => new StorageOperands(
        new VulkanKernelExecutor(VulkanTestDevice.Device, new VulkanTarget(), [.. ConformanceCases.HalfWeights.Select(c => c.Kernel)])));

    public static TheoryData<string> Cases => new(ConformanceCases.HalfWeights.Select(c => c.Name));

    [VulkanConformanceTheory]
    [MemberData(nameof(Cases))]
    public void Case(string name) => ConformanceChecker.Check(ConformanceCases.Get(name), Executor.Value, tasks: 1);
}
