namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>A kernel argument: <paramref name="Range"/> bytes of <paramref name="Buffer"/> from <paramref name="Offset"/>.</summary>
public readonly record struct VulkanBinding(VulkanBuffer Buffer, long Offset, long Range);
