using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Llmc.Runtime.Devices.Vulkan.Interop;

// Structures filled by the driver when the runtime asks about a physical device; layouts as in the Vulkan specification.
#pragma warning disable CS0649

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkPhysicalDeviceProperties
{
    public uint ApiVersion;
    public uint DriverVersion;
    public uint VendorId;
    public uint DeviceId;
    public int DeviceType;
    public fixed byte DeviceName[256];
    public fixed byte PipelineCacheUuid[16];
    public VkPhysicalDeviceLimits Limits;
    public fixed uint SparseProperties[5];
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkPhysicalDeviceProperties2
{
    public VkStructureType SType;
    public nint PNext;
    public VkPhysicalDeviceProperties Properties;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkPhysicalDeviceSubgroupProperties
{
    public VkStructureType SType;
    public nint PNext;
    public uint SubgroupSize;
    public uint SupportedStages;
    public uint SupportedOperations;
    public uint QuadOperationsInAllStages;
}

/// <summary>VkPhysicalDeviceFeatures: 55 VkBool32 in the specification's order; the indices the runtime uses are named.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkPhysicalDeviceFeatures
{
    public const int ShaderFloat64 = 39;
    public const int ShaderInt64 = 40;
    public const int ShaderInt16 = 41;

    public fixed uint Flags[55];
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkPhysicalDeviceFeatures2
{
    public VkStructureType SType;
    public nint PNext;
    public VkPhysicalDeviceFeatures Features;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkPhysicalDevice16BitStorageFeatures
{
    public VkStructureType SType;
    public nint PNext;
    public uint StorageBuffer16BitAccess;
    public uint UniformAndStorageBuffer16BitAccess;
    public uint StoragePushConstant16;
    public uint StorageInputOutput16;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkPhysicalDevice8BitStorageFeatures
{
    public VkStructureType SType;
    public nint PNext;
    public uint StorageBuffer8BitAccess;
    public uint UniformAndStorageBuffer8BitAccess;
    public uint StoragePushConstant8;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkPhysicalDeviceShaderFloat16Int8Features
{
    public VkStructureType SType;
    public nint PNext;
    public uint ShaderFloat16;
    public uint ShaderInt8;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkMemoryType
{
    public uint PropertyFlags;
    public uint HeapIndex;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkMemoryHeap
{
    public ulong Size;
    public uint Flags;
}

[InlineArray(32)]
internal struct VkMemoryTypes
{
    private VkMemoryType _first;
}

[InlineArray(16)]
internal struct VkMemoryHeaps
{
    private VkMemoryHeap _first;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkPhysicalDeviceMemoryProperties
{
    public uint MemoryTypeCount;
    public VkMemoryTypes MemoryTypes;
    public uint MemoryHeapCount;
    public VkMemoryHeaps MemoryHeaps;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkQueueFamilyProperties
{
    public uint QueueFlags;
    public uint QueueCount;
    public uint TimestampValidBits;
    public uint MinImageTransferGranularityWidth;
    public uint MinImageTransferGranularityHeight;
    public uint MinImageTransferGranularityDepth;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkExtensionProperties
{
    public fixed byte ExtensionName[256];
    public uint SpecVersion;
}

#pragma warning restore CS0649
