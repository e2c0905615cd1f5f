using Llmc.Targets.Tests.Conformance;
using Llmc.Targets.Tests.Vulkan;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.VulkanCodegen;

/// <summary>
/// The int8 KV-cache (kv8) attention cases, kept apart from <see cref="ConformanceCases.All"/>, on the Vulkan device:
/// caches written a byte at a time with atomics (odd head sizes share words between heads), rows of the step rounded
/// as the cache rounds them, results and cache states against the reference at each case's tolerance.
/// </summary>
[Collection(VulkanCollection.Name)]
public sealed class VulkanInt8KvCacheTests
{
    private static readonly Lazy<IKernelExecutor> Executor = new(() => new StorageOperands(
        new VulkanKernelExecutor(VulkanTestDevice.Device, new VulkanTarget(), [.. ConformanceCases.Int8KvCache.Select(c => c.Kernel)])));

    public static TheoryData<string> Cases => new(ConformanceCases.Int8KvCache.Select(c => c.Name));

    [VulkanConformanceTheory]
    [MemberData(nameof(Cases))]
    public void Case(string name) => ConformanceChecker.Check(ConformanceCases.Get(name), Executor.Value, tasks: 1);
}
