using Llmc.Runtime.Devices.Vulkan.Interop;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>Descriptor sets of storage buffers, allocated once (one per plan step) and freed together with the pool.</summary>
public sealed unsafe class VulkanDescriptorPool : IDisposable
{
    private readonly VulkanDevice _device;
    private readonly ulong _pool;
    private bool _disposed;

    /// <summary>A pool for up to <paramref name="sets"/> sets holding <paramref name="buffers"/> storage-buffer bindings in all.</summary>
    public VulkanDescriptorPool(VulkanDevice device, int sets, int buffers)
    {
        _device = device;
        var size = new VkDescriptorPoolSize { Type = Vk.DescriptorTypeStorageBuffer, DescriptorCount = (uint)Math.Max(1, buffers) };
        var info = new VkDescriptorPoolCreateInfo
        {
            SType = VkStructureType.DescriptorPoolCreateInfo, MaxSets = (uint)Math.Max(1, sets), PoolSizeCount = 1, PPoolSizes = &size,
        };
        ulong pool;
        VkCheck.Ok(device.Api.CreateDescriptorPool(device.Handle, &info, 0, &pool), "creating a descriptor pool");
        _pool = pool;
    }

    /// <summary>A set for <paramref name="kernel"/> binding argument i to <paramref name="arguments"/>[i].</summary>
    public ulong Allocate(VulkanKernel kernel, ReadOnlySpan<VulkanBinding> arguments)
    {
        if (arguments.Length != kernel.Arguments)
            throw new LlmcException($"kernel '{kernel.Name}' takes {kernel.Arguments} buffers, got {arguments.Length}");
        var api = _device.Api;
        var layout = kernel.SetLayout;
        var allocate = new VkDescriptorSetAllocateInfo
        {
            SType = VkStructureType.DescriptorSetAllocateInfo, DescriptorPool = _pool, DescriptorSetCount = 1, PSetLayouts = &layout,
        };
        ulong set;
        VkCheck.Ok(api.AllocateDescriptorSets(_device.Handle, &allocate, &set), $"allocating descriptors for kernel '{kernel.Name}'");

        var infos = new VkDescriptorBufferInfo[arguments.Length];
        var writes = new VkWriteDescriptorSet[arguments.Length];
        var alignment = (long)_device.Physical.MinStorageBufferOffsetAlignment;
        fixed (VkDescriptorBufferInfo* info = infos)
        {
            for (var i = 0; i < arguments.Length; i++)
            {
                var a = arguments[i];
                if (alignment > 0 && a.Offset % alignment != 0)
                    throw new LlmcException($"kernel '{kernel.Name}' argument {i}: offset {a.Offset} is not a multiple of the device's storage-buffer alignment {alignment}");
                if (a.Range > _device.Physical.MaxStorageBufferRange)
                    throw new LlmcException($"kernel '{kernel.Name}' argument {i}: {a.Range:N0} bytes exceed Vulkan {_device.Physical}'s largest storage buffer range ({_device.Physical.MaxStorageBufferRange:N0} bytes)");
                info[i] = new VkDescriptorBufferInfo { Buffer = a.Buffer.Handle, Offset = (ulong)a.Offset, Range = (ulong)Math.Max(4, a.Range) };
                writes[i] = new VkWriteDescriptorSet
                {
                    SType = VkStructureType.WriteDescriptorSet, DstSet = set, DstBinding = (uint)i, DescriptorCount = 1,
                    DescriptorType = Vk.DescriptorTypeStorageBuffer, PBufferInfo = info + i,
                };
            }
            fixed (VkWriteDescriptorSet* w = writes) api.UpdateDescriptorSets(_device.Handle, (uint)writes.Length, w, 0, 0);
        }
        return set;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device.Api.DestroyDescriptorPool(_device.Handle, _pool, 0);
    }
}
