using System.Runtime.InteropServices;

namespace Llmc.Runtime.Devices.Vulkan.Interop;

// Structures the runtime passes to create instances, devices, buffers, pipelines and descriptors;
// layouts as in the Vulkan specification. Unused pointer members stay zero.

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkApplicationInfo
{
    public VkStructureType SType;
    public nint PNext;
    public byte* PApplicationName;
    public uint ApplicationVersion;
    public byte* PEngineName;
    public uint EngineVersion;
    public uint ApiVersion;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkInstanceCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public VkApplicationInfo* PApplicationInfo;
    public uint EnabledLayerCount;
    public byte** PpEnabledLayerNames;
    public uint EnabledExtensionCount;
    public byte** PpEnabledExtensionNames;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkDeviceQueueCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public uint QueueFamilyIndex;
    public uint QueueCount;
    public float* PQueuePriorities;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkDeviceCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public uint QueueCreateInfoCount;
    public VkDeviceQueueCreateInfo* PQueueCreateInfos;
    public uint EnabledLayerCount;
    public byte** PpEnabledLayerNames;
    public uint EnabledExtensionCount;
    public byte** PpEnabledExtensionNames;
    public VkPhysicalDeviceFeatures* PEnabledFeatures;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkBufferCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public ulong Size;
    public uint Usage;
    public int SharingMode;
    public uint QueueFamilyIndexCount;
    public uint* PQueueFamilyIndices;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkMemoryRequirements
{
    public ulong Size;
    public ulong Alignment;
    public uint MemoryTypeBits;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkMemoryAllocateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public ulong AllocationSize;
    public uint MemoryTypeIndex;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkShaderModuleCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public nuint CodeSize;
    public uint* PCode;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkDescriptorSetLayoutBinding
{
    public uint Binding;
    public int DescriptorType;
    public uint DescriptorCount;
    public uint StageFlags;
    public nint PImmutableSamplers;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkDescriptorSetLayoutCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public uint BindingCount;
    public VkDescriptorSetLayoutBinding* PBindings;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkPushConstantRange
{
    public uint StageFlags;
    public uint Offset;
    public uint Size;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkPipelineLayoutCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public uint SetLayoutCount;
    public ulong* PSetLayouts;
    public uint PushConstantRangeCount;
    public VkPushConstantRange* PPushConstantRanges;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkPipelineShaderStageCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public uint Stage;
    public ulong Module;
    public byte* PName;
    public nint PSpecializationInfo;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkComputePipelineCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public VkPipelineShaderStageCreateInfo Stage;
    public ulong Layout;
    public ulong BasePipelineHandle;
    public int BasePipelineIndex;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkDescriptorPoolSize
{
    public int Type;
    public uint DescriptorCount;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkDescriptorPoolCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public uint MaxSets;
    public uint PoolSizeCount;
    public VkDescriptorPoolSize* PPoolSizes;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkDescriptorSetAllocateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public ulong DescriptorPool;
    public uint DescriptorSetCount;
    public ulong* PSetLayouts;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkDescriptorBufferInfo
{
    public ulong Buffer;
    public ulong Offset;
    public ulong Range;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkWriteDescriptorSet
{
    public VkStructureType SType;
    public nint PNext;
    public ulong DstSet;
    public uint DstBinding;
    public uint DstArrayElement;
    public uint DescriptorCount;
    public int DescriptorType;
    public nint PImageInfo;
    public VkDescriptorBufferInfo* PBufferInfo;
    public nint PTexelBufferView;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkCommandPoolCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public uint QueueFamilyIndex;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkFenceCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkQueryPoolCreateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public int QueryType;
    public uint QueryCount;
    public uint PipelineStatistics;
}
