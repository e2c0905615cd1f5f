using System.Globalization;
using Llmc.Runtime.Devices.Vulkan.Interop;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>
/// A logical device with one compute queue, a command pool and a fence. Every submission waits on the fence with a
/// timeout, so a hung device is an error, never a hang.
/// </summary>
public sealed unsafe class VulkanDevice : IDisposable
{
    /// <summary>Seconds a submission may run before it is declared hung; default <see cref="DefaultTimeoutSeconds"/>.</summary>
    public const string TimeoutVariable = "LLMC_VULKAN_TIMEOUT_S";

    public const int DefaultTimeoutSeconds = 300;

    private readonly ulong _commandPool;
    private readonly ulong _fence;
    private readonly ulong _timeoutNs;
    private bool _disposed;

    private VulkanDevice(VulkanPhysicalDevice physical, nint handle)
    {
        Physical = physical;
        Handle = handle;
        Api = new VkDeviceApi(physical.Api, handle);
        nint queue;
        Api.GetDeviceQueue(handle, (uint)physical.ComputeQueueFamily, 0, &queue);
        Queue = queue;
        var poolInfo = new VkCommandPoolCreateInfo
        {
            SType = VkStructureType.CommandPoolCreateInfo, Flags = Vk.CommandPoolResetCommandBuffer, QueueFamilyIndex = (uint)physical.ComputeQueueFamily,
        };
        ulong pool, fence;
        VkCheck.Ok(Api.CreateCommandPool(handle, &poolInfo, 0, &pool), "creating a command pool");
        _commandPool = pool;
        var fenceInfo = new VkFenceCreateInfo { SType = VkStructureType.FenceCreateInfo };
        VkCheck.Ok(Api.CreateFence(handle, &fenceInfo, 0, &fence), "creating a fence");
        _fence = fence;
        _timeoutNs = (ulong)TimeoutSeconds() * 1_000_000_000UL;
    }

    public VulkanPhysicalDevice Physical { get; }

    internal VkDeviceApi Api { get; }

    internal nint Handle { get; }

    internal nint Queue { get; }

    /// <summary>Creates a device on <paramref name="physical"/> with the optional features in <paramref name="enable"/> turned on.</summary>
    public static VulkanDevice Create(VulkanPhysicalDevice physical, ShaderFeatures enable = ShaderFeatures.None)
    {
        if (physical.ComputeQueueFamily < 0) throw new LlmcException($"Vulkan {physical} has no compute queue");
        var missing = enable & ~physical.Features;
        if (missing != ShaderFeatures.None) throw new LlmcException($"Vulkan {physical} lacks {missing.Describe()}");

        var priority = 1f;
        var queue = new VkDeviceQueueCreateInfo
        {
            SType = VkStructureType.DeviceQueueCreateInfo, QueueFamilyIndex = (uint)physical.ComputeQueueFamily, QueueCount = 1, PQueuePriorities = &priority,
        };
        // Feature structures are chained only when something is enabled, so a Vulkan 1.0 device sees a plain request.
        var storage16 = new VkPhysicalDevice16BitStorageFeatures
        {
            SType = VkStructureType.PhysicalDevice16BitStorageFeatures, StorageBuffer16BitAccess = Bool(enable, ShaderFeatures.Storage16Bit),
        };
        var storage8 = new VkPhysicalDevice8BitStorageFeatures
        {
            SType = VkStructureType.PhysicalDevice8BitStorageFeatures, StorageBuffer8BitAccess = Bool(enable, ShaderFeatures.Storage8Bit),
        };
        var float16Int8 = new VkPhysicalDeviceShaderFloat16Int8Features
        {
            SType = VkStructureType.PhysicalDeviceShaderFloat16Int8Features,
            ShaderFloat16 = Bool(enable, ShaderFeatures.Float16),
            ShaderInt8 = Bool(enable, ShaderFeatures.Int8),
        };
        var features = new VkPhysicalDeviceFeatures2 { SType = VkStructureType.PhysicalDeviceFeatures2 };
        features.Features.Flags[VkPhysicalDeviceFeatures.ShaderInt16] = Bool(enable, ShaderFeatures.Int16);
        features.Features.Flags[VkPhysicalDeviceFeatures.ShaderInt64] = Bool(enable, ShaderFeatures.Int64);
        features.Features.Flags[VkPhysicalDeviceFeatures.ShaderFloat64] = Bool(enable, ShaderFeatures.Float64);
        var tail = &features.PNext;
        if ((enable & ShaderFeatures.Storage16Bit) != 0) { *tail = (nint)(&storage16); tail = &storage16.PNext; }
        if ((enable & ShaderFeatures.Storage8Bit) != 0) { *tail = (nint)(&storage8); tail = &storage8.PNext; }
        if ((enable & (ShaderFeatures.Float16 | ShaderFeatures.Int8)) != 0) { *tail = (nint)(&float16Int8); tail = &float16Int8.PNext; }

        var info = new VkDeviceCreateInfo
        {
            SType = VkStructureType.DeviceCreateInfo,
            PNext = enable == ShaderFeatures.None ? 0 : (nint)(&features),
            QueueCreateInfoCount = 1,
            PQueueCreateInfos = &queue,
        };
        nint handle;
        VkCheck.Ok(physical.Api.CreateDevice(physical.Handle, &info, 0, &handle), $"creating a logical device on Vulkan {physical}");
        try
        {
            return new VulkanDevice(physical, handle);
        }
        catch
        {
            ((delegate* unmanaged<nint, nint, void>)VkDestroyDevice(physical, handle))(handle, 0);
            throw;
        }
    }

    /// <summary>A primary command buffer from this device's pool; disposing it gives it back (the device frees any left).</summary>
    public VulkanCommandBuffer CreateCommandBuffer()
    {
        var info = new VkCommandBufferAllocateInfo
        {
            SType = VkStructureType.CommandBufferAllocateInfo, CommandPool = _commandPool, Level = Vk.CommandBufferLevelPrimary, CommandBufferCount = 1,
        };
        nint buffer;
        VkCheck.Ok(Api.AllocateCommandBuffers(Handle, &info, &buffer), "allocating a command buffer");
        return new VulkanCommandBuffer(this, buffer);
    }

    internal void Free(VulkanCommandBuffer commands)
    {
        var handle = commands.Handle;
        Api.FreeCommandBuffers(Handle, _commandPool, 1, &handle);
    }

    /// <summary>Submits recorded work and waits for it; <paramref name="what"/> names the work in errors.</summary>
    public void SubmitAndWait(VulkanCommandBuffer commands, string what)
    {
        var handle = commands.Handle;
        var fence = _fence;
        var submit = new VkSubmitInfo { SType = VkStructureType.SubmitInfo, CommandBufferCount = 1, PCommandBuffers = &handle };
        VkCheck.Ok(Api.QueueSubmit(Queue, 1, &submit, fence), $"submitting {what} to Vulkan {Physical}");
        var waited = Api.WaitForFences(Handle, 1, &fence, 1, _timeoutNs);
        if (waited == VkResult.Timeout)
            throw new LlmcException($"Vulkan {Physical} did not finish {what} within {_timeoutNs / 1_000_000_000} s (raise {TimeoutVariable} if it is just slow)");
        VkCheck.Ok(waited, $"waiting for {what} on Vulkan {Physical}");
        VkCheck.Ok(Api.ResetFences(Handle, 1, &fence), "resetting a fence");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Api.DeviceWaitIdle(Handle);
        Api.DestroyFence(Handle, _fence, 0);
        Api.DestroyCommandPool(Handle, _commandPool, 0);
        Api.DestroyDevice(Handle, 0);
    }

    private static uint Bool(ShaderFeatures enable, ShaderFeatures feature) => (enable & feature) != 0 ? 1u : 0u;

    private static nint VkDestroyDevice(VulkanPhysicalDevice physical, nint device)
    {
        fixed (byte* name = VkStrings.ToNulTerminated("vkDestroyDevice")) return physical.Api.GetDeviceProcAddr(device, name);
    }

    private static int TimeoutSeconds()
    {
        var text = Environment.GetEnvironmentVariable(TimeoutVariable);
        if (string.IsNullOrWhiteSpace(text)) return DefaultTimeoutSeconds;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s
            : throw new LlmcException($"{TimeoutVariable}='{text}' is not a positive number of seconds");
    }
}
