using Llmc.Runtime.Devices.Vulkan.Interop;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>Where a buffer's memory lives and what it is for.</summary>
public enum BufferPlacement
{
    /// <summary>Device-local storage: weights, activations, inputs, KV caches. Written by copies and kernels only.</summary>
    Device,

    /// <summary>Host-visible, coherent and mapped: staging for uploads.</summary>
    Upload,

    /// <summary>Host-visible, coherent, preferably cached, and mapped: results read back by the host.</summary>
    Readback,
}

/// <summary>A buffer with its own memory allocation; host placements stay mapped for the buffer's life.</summary>
public sealed unsafe class VulkanBuffer : IDisposable
{
    private readonly VulkanDevice _device;
    private bool _disposed;

    private VulkanBuffer(VulkanDevice device, ulong handle, ulong memory, long bytes, byte* mapped)
    {
        _device = device;
        Handle = handle;
        Memory = memory;
        Bytes = bytes;
        Mapped = mapped;
    }

    public long Bytes { get; }

    /// <summary>The host address of a mapped (upload or readback) buffer; null for device buffers.</summary>
    public byte* Mapped { get; }

    internal ulong Handle { get; }

    internal ulong Memory { get; }

    /// <summary>
    /// Allocates <paramref name="bytes"/> (at least 4); <paramref name="what"/> names the buffer in errors, such as running out
    /// of device memory.
    /// </summary>
    public static VulkanBuffer Create(VulkanDevice device, long bytes, BufferPlacement placement, string what)
    {
        var api = device.Api;
        var size = (ulong)Math.Max(4, (bytes + 3) & ~3L);
        var info = new VkBufferCreateInfo
        {
            SType = VkStructureType.BufferCreateInfo,
            Size = size,
            Usage = Vk.BufferUsage.StorageBuffer | Vk.BufferUsage.TransferSrc | Vk.BufferUsage.TransferDst,
            SharingMode = Vk.SharingModeExclusive,
        };
        ulong buffer, memory = 0;
        VkCheck.Ok(api.CreateBuffer(device.Handle, &info, 0, &buffer), $"creating {Describe(size, what)} on Vulkan {device.Physical}");
        try
        {
            VkMemoryRequirements needs;
            api.GetBufferMemoryRequirements(device.Handle, buffer, &needs);
            var (required, preferred) = placement switch
            {
                BufferPlacement.Device => (0u, Vk.MemoryProperty.DeviceLocal),
                BufferPlacement.Upload => (Vk.MemoryProperty.HostVisible | Vk.MemoryProperty.HostCoherent, 0u),
                _ => (Vk.MemoryProperty.HostVisible | Vk.MemoryProperty.HostCoherent, Vk.MemoryProperty.HostCached),
            };
            var type = device.Physical.MemoryType(needs.MemoryTypeBits, required, preferred);
            if (type < 0) throw new LlmcException($"Vulkan {device.Physical} has no memory type for {Describe(size, what)}");
            var allocate = new VkMemoryAllocateInfo { SType = VkStructureType.MemoryAllocateInfo, AllocationSize = needs.Size, MemoryTypeIndex = (uint)type };
            VkCheck.Ok(api.AllocateMemory(device.Handle, &allocate, 0, &memory),
                $"allocating {Describe(size, what)} on Vulkan {device.Physical} ({device.Physical.DeviceLocalBytes / (1 << 20)} MiB of device-local memory)");
            VkCheck.Ok(api.BindBufferMemory(device.Handle, buffer, memory, 0), $"binding memory to {what}");
            void* mapped = null;
            if (placement != BufferPlacement.Device)
                VkCheck.Ok(api.MapMemory(device.Handle, memory, 0, Vk.WholeSize, 0, &mapped), $"mapping {what}");
            return new VulkanBuffer(device, buffer, memory, (long)size, (byte*)mapped);
        }
        catch
        {
            if (memory != 0) api.FreeMemory(device.Handle, memory, 0);
            api.DestroyBuffer(device.Handle, buffer, 0);
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device.Api.DestroyBuffer(_device.Handle, Handle, 0);
        _device.Api.FreeMemory(_device.Handle, Memory, 0);
    }

    private static string Describe(ulong bytes, string what) => $"{what} ({bytes:N0} bytes)";
}
