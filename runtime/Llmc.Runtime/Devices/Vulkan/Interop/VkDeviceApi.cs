namespace Llmc.Runtime.Devices.Vulkan.Interop;

/// <summary>The device-level functions the runtime calls, resolved once per device through <c>vkGetDeviceProcAddr</c>.</summary>
internal sealed unsafe class VkDeviceApi
{
    private readonly VkInstanceApi _instance;

    public VkDeviceApi(VkInstanceApi instance, nint device)
    {
        _instance = instance;
        DestroyDevice = (delegate* unmanaged<nint, nint, void>)Require(device, "vkDestroyDevice");
        GetDeviceQueue = (delegate* unmanaged<nint, uint, uint, nint*, void>)Require(device, "vkGetDeviceQueue");
        DeviceWaitIdle = (delegate* unmanaged<nint, VkResult>)Require(device, "vkDeviceWaitIdle");
        CreateBuffer = (delegate* unmanaged<nint, VkBufferCreateInfo*, nint, ulong*, VkResult>)Require(device, "vkCreateBuffer");
        DestroyBuffer = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkDestroyBuffer");
        GetBufferMemoryRequirements = (delegate* unmanaged<nint, ulong, VkMemoryRequirements*, void>)Require(device, "vkGetBufferMemoryRequirements");
        AllocateMemory = (delegate* unmanaged<nint, VkMemoryAllocateInfo*, nint, ulong*, VkResult>)Require(device, "vkAllocateMemory");
        FreeMemory = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkFreeMemory");
        BindBufferMemory = (delegate* unmanaged<nint, ulong, ulong, ulong, VkResult>)Require(device, "vkBindBufferMemory");
        MapMemory = (delegate* unmanaged<nint, ulong, ulong, ulong, uint, void**, VkResult>)Require(device, "vkMapMemory");
        UnmapMemory = (delegate* unmanaged<nint, ulong, void>)Require(device, "vkUnmapMemory");
        CreateShaderModule = (delegate* unmanaged<nint, VkShaderModuleCreateInfo*, nint, ulong*, VkResult>)Require(device, "vkCreateShaderModule");
        DestroyShaderModule = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkDestroyShaderModule");
        CreateDescriptorSetLayout = (delegate* unmanaged<nint, VkDescriptorSetLayoutCreateInfo*, nint, ulong*, VkResult>)Require(device, "vkCreateDescriptorSetLayout");
        DestroyDescriptorSetLayout = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkDestroyDescriptorSetLayout");
        CreatePipelineLayout = (delegate* unmanaged<nint, VkPipelineLayoutCreateInfo*, nint, ulong*, VkResult>)Require(device, "vkCreatePipelineLayout");
        DestroyPipelineLayout = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkDestroyPipelineLayout");
        CreateComputePipelines = (delegate* unmanaged<nint, ulong, uint, VkComputePipelineCreateInfo*, nint, ulong*, VkResult>)Require(device, "vkCreateComputePipelines");
        DestroyPipeline = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkDestroyPipeline");
        CreateDescriptorPool = (delegate* unmanaged<nint, VkDescriptorPoolCreateInfo*, nint, ulong*, VkResult>)Require(device, "vkCreateDescriptorPool");
        DestroyDescriptorPool = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkDestroyDescriptorPool");
        AllocateDescriptorSets = (delegate* unmanaged<nint, VkDescriptorSetAllocateInfo*, ulong*, VkResult>)Require(device, "vkAllocateDescriptorSets");
        UpdateDescriptorSets = (delegate* unmanaged<nint, uint, VkWriteDescriptorSet*, uint, nint, void>)Require(device, "vkUpdateDescriptorSets");
        CreateCommandPool = (delegate* unmanaged<nint, VkCommandPoolCreateInfo*, nint, ulong*, VkResult>)Require(device, "vkCreateCommandPool");
        DestroyCommandPool = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkDestroyCommandPool");
        AllocateCommandBuffers = (delegate* unmanaged<nint, VkCommandBufferAllocateInfo*, nint*, VkResult>)Require(device, "vkAllocateCommandBuffers");
        FreeCommandBuffers = (delegate* unmanaged<nint, ulong, uint, nint*, void>)Require(device, "vkFreeCommandBuffers");
        BeginCommandBuffer = (delegate* unmanaged<nint, VkCommandBufferBeginInfo*, VkResult>)Require(device, "vkBeginCommandBuffer");
        EndCommandBuffer = (delegate* unmanaged<nint, VkResult>)Require(device, "vkEndCommandBuffer");
        CmdBindPipeline = (delegate* unmanaged<nint, int, ulong, void>)Require(device, "vkCmdBindPipeline");
        CmdBindDescriptorSets = (delegate* unmanaged<nint, int, ulong, uint, uint, ulong*, uint, uint*, void>)Require(device, "vkCmdBindDescriptorSets");
        CmdPushConstants = (delegate* unmanaged<nint, ulong, uint, uint, uint, void*, void>)Require(device, "vkCmdPushConstants");
        CmdDispatch = (delegate* unmanaged<nint, uint, uint, uint, void>)Require(device, "vkCmdDispatch");
        CmdPipelineBarrier = (delegate* unmanaged<nint, uint, uint, uint, uint, VkMemoryBarrier*, uint, nint, uint, nint, void>)Require(device, "vkCmdPipelineBarrier");
        CmdCopyBuffer = (delegate* unmanaged<nint, ulong, ulong, uint, VkBufferCopy*, void>)Require(device, "vkCmdCopyBuffer");
        CmdFillBuffer = (delegate* unmanaged<nint, ulong, ulong, ulong, uint, void>)Require(device, "vkCmdFillBuffer");
        QueueSubmit = (delegate* unmanaged<nint, uint, VkSubmitInfo*, ulong, VkResult>)Require(device, "vkQueueSubmit");
        CreateFence = (delegate* unmanaged<nint, VkFenceCreateInfo*, nint, ulong*, VkResult>)Require(device, "vkCreateFence");
        DestroyFence = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkDestroyFence");
        WaitForFences = (delegate* unmanaged<nint, uint, ulong*, uint, ulong, VkResult>)Require(device, "vkWaitForFences");
        ResetFences = (delegate* unmanaged<nint, uint, ulong*, VkResult>)Require(device, "vkResetFences");
        CreateQueryPool = (delegate* unmanaged<nint, VkQueryPoolCreateInfo*, nint, ulong*, VkResult>)Require(device, "vkCreateQueryPool");
        DestroyQueryPool = (delegate* unmanaged<nint, ulong, nint, void>)Require(device, "vkDestroyQueryPool");
        CmdResetQueryPool = (delegate* unmanaged<nint, ulong, uint, uint, void>)Require(device, "vkCmdResetQueryPool");
        CmdWriteTimestamp = (delegate* unmanaged<nint, uint, ulong, uint, void>)Require(device, "vkCmdWriteTimestamp");
        GetQueryPoolResults = (delegate* unmanaged<nint, ulong, uint, uint, nuint, void*, ulong, uint, VkResult>)Require(device, "vkGetQueryPoolResults");
    }

    public delegate* unmanaged<nint, nint, void> DestroyDevice { get; }
    public delegate* unmanaged<nint, uint, uint, nint*, void> GetDeviceQueue { get; }
    public delegate* unmanaged<nint, VkResult> DeviceWaitIdle { get; }
    public delegate* unmanaged<nint, VkBufferCreateInfo*, nint, ulong*, VkResult> CreateBuffer { get; }
    public delegate* unmanaged<nint, ulong, nint, void> DestroyBuffer { get; }
    public delegate* unmanaged<nint, ulong, VkMemoryRequirements*, void> GetBufferMemoryRequirements { get; }
    public delegate* unmanaged<nint, VkMemoryAllocateInfo*, nint, ulong*, VkResult> AllocateMemory { get; }
    public delegate* unmanaged<nint, ulong, nint, void> FreeMemory { get; }
    public delegate* unmanaged<nint, ulong, ulong, ulong, VkResult> BindBufferMemory { get; }
    public delegate* unmanaged<nint, ulong, ulong, ulong, uint, void**, VkResult> MapMemory { get; }
    public delegate* unmanaged<nint, ulong, void> UnmapMemory { get; }
    public delegate* unmanaged<nint, VkShaderModuleCreateInfo*, nint, ulong*, VkResult> CreateShaderModule { get; }
    public delegate* unmanaged<nint, ulong, nint, void> DestroyShaderModule { get; }
    public delegate* unmanaged<nint, VkDescriptorSetLayoutCreateInfo*, nint, ulong*, VkResult> CreateDescriptorSetLayout { get; }
    public delegate* unmanaged<nint, ulong, nint, void> DestroyDescriptorSetLayout { get; }
    public delegate* unmanaged<nint, VkPipelineLayoutCreateInfo*, nint, ulong*, VkResult> CreatePipelineLayout { get; }
    public delegate* unmanaged<nint, ulong, nint, void> DestroyPipelineLayout { get; }
    public delegate* unmanaged<nint, ulong, uint, VkComputePipelineCreateInfo*, nint, ulong*, VkResult> CreateComputePipelines { get; }
    public delegate* unmanaged<nint, ulong, nint, void> DestroyPipeline { get; }
    public delegate* unmanaged<nint, VkDescriptorPoolCreateInfo*, nint, ulong*, VkResult> CreateDescriptorPool { get; }
    public delegate* unmanaged<nint, ulong, nint, void> DestroyDescriptorPool { get; }
    public delegate* unmanaged<nint, VkDescriptorSetAllocateInfo*, ulong*, VkResult> AllocateDescriptorSets { get; }
    public delegate* unmanaged<nint, uint, VkWriteDescriptorSet*, uint, nint, void> UpdateDescriptorSets { get; }
    public delegate* unmanaged<nint, VkCommandPoolCreateInfo*, nint, ulong*, VkResult> CreateCommandPool { get; }
    public delegate* unmanaged<nint, ulong, nint, void> DestroyCommandPool { get; }
    public delegate* unmanaged<nint, VkCommandBufferAllocateInfo*, nint*, VkResult> AllocateCommandBuffers { get; }
    public delegate* unmanaged<nint, ulong, uint, nint*, void> FreeCommandBuffers { get; }
    public delegate* unmanaged<nint, VkCommandBufferBeginInfo*, VkResult> BeginCommandBuffer { get; }
    public delegate* unmanaged<nint, VkResult> EndCommandBuffer { get; }
    public delegate* unmanaged<nint, int, ulong, void> CmdBindPipeline { get; }
    public delegate* unmanaged<nint, int, ulong, uint, uint, ulong*, uint, uint*, void> CmdBindDescriptorSets { get; }
    public delegate* unmanaged<nint, ulong, uint, uint, uint, void*, void> CmdPushConstants { get; }
    public delegate* unmanaged<nint, uint, uint, uint, void> CmdDispatch { get; }
    public delegate* unmanaged<nint, uint, uint, uint, uint, VkMemoryBarrier*, uint, nint, uint, nint, void> CmdPipelineBarrier { get; }
    public delegate* unmanaged<nint, ulong, ulong, uint, VkBufferCopy*, void> CmdCopyBuffer { get; }
    public delegate* unmanaged<nint, ulong, ulong, ulong, uint, void> CmdFillBuffer { get; }
    public delegate* unmanaged<nint, uint, VkSubmitInfo*, ulong, VkResult> QueueSubmit { get; }
    public delegate* unmanaged<nint, VkFenceCreateInfo*, nint, ulong*, VkResult> CreateFence { get; }
    public delegate* unmanaged<nint, ulong, nint, void> DestroyFence { get; }
    public delegate* unmanaged<nint, uint, ulong*, uint, ulong, VkResult> WaitForFences { get; }
    public delegate* unmanaged<nint, uint, ulong*, VkResult> ResetFences { get; }
    public delegate* unmanaged<nint, VkQueryPoolCreateInfo*, nint, ulong*, VkResult> CreateQueryPool { get; }
    public delegate* unmanaged<nint, ulong, nint, void> DestroyQueryPool { get; }
    public delegate* unmanaged<nint, ulong, uint, uint, void> CmdResetQueryPool { get; }
    public delegate* unmanaged<nint, uint, ulong, uint, void> CmdWriteTimestamp { get; }
    public delegate* unmanaged<nint, ulong, uint, uint, nuint, void*, ulong, uint, VkResult> GetQueryPoolResults { get; }

    private nint Require(nint device, string name)
    {
        nint f;
        fixed (byte* chars = VkStrings.ToNulTerminated(name)) f = _instance.GetDeviceProcAddr(device, chars);
        return f != 0 ? f : throw new LlmcException($"the Vulkan driver does not provide {name}");
    }
}
