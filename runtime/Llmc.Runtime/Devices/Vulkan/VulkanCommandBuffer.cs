using Llmc.Runtime.Devices.Vulkan.Interop;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>Records copies, fills, barriers, dispatches and timestamps into one primary command buffer, re-recorded per use.</summary>
public sealed unsafe class VulkanCommandBuffer : IDisposable
{
    private readonly VulkanDevice _device;
    private readonly VkDeviceApi _api;
    private ulong _boundPipeline;
    private bool _disposed;

    internal VulkanCommandBuffer(VulkanDevice device, nint handle)
    {
        _device = device;
        _api = device.Api;
        Handle = handle;
    }

    internal nint Handle { get; }

    /// <summary>Starts a new recording, dropping the previous one.</summary>
    public void Begin()
    {
        var info = new VkCommandBufferBeginInfo { SType = VkStructureType.CommandBufferBeginInfo, Flags = Vk.CommandBufferOneTimeSubmit };
        VkCheck.Ok(_api.BeginCommandBuffer(Handle, &info), "beginning a command buffer");
        _boundPipeline = 0;
    }

    public void End() => VkCheck.Ok(_api.EndCommandBuffer(Handle), "ending a command buffer");

    public void Copy(VulkanBuffer source, long sourceOffset, VulkanBuffer destination, long destinationOffset, long bytes)
    {
        if (bytes == 0) return;
        var region = new VkBufferCopy { SrcOffset = (ulong)sourceOffset, DstOffset = (ulong)destinationOffset, Size = (ulong)bytes };
        _api.CmdCopyBuffer(Handle, source.Handle, destination.Handle, 1, &region);
    }

    /// <summary>Fills the whole buffer with zero bytes.</summary>
    public void Zero(VulkanBuffer buffer) => _api.CmdFillBuffer(Handle, buffer.Handle, 0, Vk.WholeSize, 0);

    /// <summary>Makes copies and kernel writes so far visible to the kernels that follow.</summary>
    public void BeforeKernels() => Barrier(Vk.PipelineStage.Transfer | Vk.PipelineStage.ComputeShader, Vk.Access.TransferWrite | Vk.Access.ShaderWrite,
        Vk.PipelineStage.ComputeShader, Vk.Access.ShaderRead | Vk.Access.ShaderWrite);

    /// <summary>Makes earlier kernels' writes visible to later kernels (and keeps later writes after earlier reads).</summary>
    public void BetweenKernels() => Barrier(Vk.PipelineStage.ComputeShader, Vk.Access.ShaderWrite | Vk.Access.ShaderRead,
        Vk.PipelineStage.ComputeShader, Vk.Access.ShaderRead | Vk.Access.ShaderWrite);

    /// <summary>Makes kernel writes visible to copies that follow.</summary>
    public void KernelsToCopies() => Barrier(Vk.PipelineStage.ComputeShader, Vk.Access.ShaderWrite,
        Vk.PipelineStage.Transfer, Vk.Access.TransferRead);

    /// <summary>Makes copies and kernel writes visible to the host once the submission's fence has signalled.</summary>
    public void ToHost() => Barrier(Vk.PipelineStage.Transfer | Vk.PipelineStage.ComputeShader, Vk.Access.TransferWrite | Vk.Access.ShaderWrite,
        Vk.PipelineStage.Host, Vk.Access.HostRead);

    /// <summary>
    /// Binds <paramref name="kernel"/> (unless already bound), its descriptor set and push constants (the step's symbols in
    /// <see cref="Plan.PlanSymbols"/> order), and dispatches it.
    /// </summary>
    public void Dispatch(VulkanKernel kernel, ulong descriptorSet, ReadOnlySpan<int> dims)
    {
        if (_boundPipeline != kernel.Pipeline)
        {
            _api.CmdBindPipeline(Handle, Vk.PipelineBindPointCompute, kernel.Pipeline);
            _boundPipeline = kernel.Pipeline;
        }
        _api.CmdBindDescriptorSets(Handle, Vk.PipelineBindPointCompute, kernel.PipelineLayout, 0, 1, &descriptorSet, 0, null);
        fixed (int* symbols = dims)
            _api.CmdPushConstants(Handle, kernel.PipelineLayout, Vk.ShaderStage.Compute, 0, VulkanKernel.PushConstantBytes, symbols);
        _api.CmdDispatch(Handle, (uint)kernel.Launch.GroupsX, kernel.GroupsY(dims), 1);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device.Free(this);
    }

    internal void ResetQueries(ulong pool, uint count) => _api.CmdResetQueryPool(Handle, pool, 0, count);

    internal void WriteTimestamp(ulong pool, uint query) => _api.CmdWriteTimestamp(Handle, Vk.PipelineStage.BottomOfPipe, pool, query);

    private void Barrier(uint sourceStages, uint sourceAccess, uint destinationStages, uint destinationAccess)
    {
        var barrier = new VkMemoryBarrier { SType = VkStructureType.MemoryBarrier, SrcAccessMask = sourceAccess, DstAccessMask = destinationAccess };
        _api.CmdPipelineBarrier(Handle, sourceStages, destinationStages, 0, 1, &barrier, 0, 0, 0, 0);
    }
}
