using Llmc.Runtime.Devices.Vulkan;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>
/// One Vulkan device for every Vulkan test in the run (creating devices and pipelines on lavapipe is the slow part).
/// Tests using it belong to <see cref="VulkanCollection"/>, so they never submit to its queue concurrently.
/// </summary>
public static class VulkanTestDevice
{
    private static readonly Lazy<(VulkanInstance Instance, VulkanDevice Device)> Shared = new(() =>
    {
        var instance = VulkanInstance.Create();
        return (instance, VulkanDevice.Create(instance.Select(null)));
    });

    public static VulkanDevice Device => Shared.Value.Device;

    public static VulkanInstance Instance => Shared.Value.Instance;
}

[CollectionDefinition(Name)]
public sealed class VulkanCollection
{
    public const string Name = "vulkan device";
}
