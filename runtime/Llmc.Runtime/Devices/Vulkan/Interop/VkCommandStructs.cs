using System.Runtime.InteropServices;

namespace Llmc.Runtime.Devices.Vulkan.Interop;

// Structures used while recording and submitting command buffers; layouts as in the Vulkan specification.

[StructLayout(LayoutKind.Sequential)]
internal struct VkCommandBufferAllocateInfo
{
    public VkStructureType SType;
    public nint PNext;
    public ulong CommandPool;
    public int Level;
    public uint CommandBufferCount;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkCommandBufferBeginInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint Flags;
    public nint PInheritanceInfo;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkMemoryBarrier
{
    public VkStructureType SType;
    public nint PNext;
    public uint SrcAccessMask;
    public uint DstAccessMask;
}

[StructLayout(LayoutKind.Sequential)]
internal struct VkBufferCopy
{
    public ulong SrcOffset;
    public ulong DstOffset;
    public ulong Size;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VkSubmitInfo
{
    public VkStructureType SType;
    public nint PNext;
    public uint WaitSemaphoreCount;
    public ulong* PWaitSemaphores;
    public uint* PWaitDstStageMask;
    public uint CommandBufferCount;
    public nint* PCommandBuffers;
    public uint SignalSemaphoreCount;
    public ulong* PSignalSemaphores;
}
