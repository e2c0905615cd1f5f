using Llmc.Runtime.Devices.Vulkan.Interop;
using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>
/// One compute kernel ready to dispatch: its SPIR-V module, a descriptor-set layout of one storage buffer per argument
/// (set 0, binding i = argument i), the push constants (one int per <see cref="PlanSymbols"/> name) and the pipeline, created once.
/// </summary>
public sealed unsafe class VulkanKernel : IDisposable
{
    /// <summary>The entry point every module of the GPU kernel ABI exports.</summary>
    public const string DefaultEntryPoint = "main";

    /// <summary>Bytes of push constants: one int per <see cref="PlanSymbols"/> name.</summary>
    public const int PushConstantBytes = PlanSymbols.Count * sizeof(int);

    private readonly VulkanDevice _device;
    private readonly ulong _module;
    private readonly LaunchExtent _groupsY;
    private bool _disposed;

    private VulkanKernel(VulkanDevice device, string name, KernelLaunch launch, int arguments, ulong module)
    {
        _device = device;
        Name = name;
        Launch = launch;
        Arguments = arguments;
        _module = module;
        _groupsY = LaunchExtent.Parse(name, launch.GroupsY);
    }

    public string Name { get; }

    public KernelLaunch Launch { get; }

    /// <summary>Storage buffers the kernel binds.</summary>
    public int Arguments { get; }

    internal ulong SetLayout { get; private set; }

    internal ulong PipelineLayout { get; private set; }

    internal ulong Pipeline { get; private set; }

    /// <summary>
    /// Builds the pipeline from <paramref name="spirv"/>; throws naming the kernel if the device cannot run it
    /// (missing feature, launch beyond the device's limits) or the driver rejects it.
    /// </summary>
    public static VulkanKernel Create(VulkanDevice device, string name, ReadOnlySpan<byte> spirv, KernelLaunch launch, int arguments, string entryPoint = DefaultEntryPoint)
    {
        var physical = device.Physical;
        if (physical.Lacks(SpirvRequirements.Of(spirv, name), name) is { } reason) throw new LlmcException(reason);
        if (launch.LocalSize <= 0 || launch.LocalSize > physical.MaxWorkGroupSizeX || launch.LocalSize > physical.MaxWorkGroupInvocations)
            throw new LlmcException($"kernel '{name}' uses workgroups of {launch.LocalSize} threads; Vulkan {physical} allows at most {Math.Min(physical.MaxWorkGroupSizeX, physical.MaxWorkGroupInvocations)}");
        if (launch.GroupsX <= 0 || (uint)launch.GroupsX > physical.MaxWorkGroupCountX)
            throw new LlmcException($"kernel '{name}' launches {launch.GroupsX} workgroups along x; Vulkan {physical} allows at most {physical.MaxWorkGroupCountX}");

        var api = device.Api;
        ulong module;
        fixed (byte* code = spirv)
        {
            var info = new VkShaderModuleCreateInfo { SType = VkStructureType.ShaderModuleCreateInfo, CodeSize = (nuint)spirv.Length, PCode = (uint*)code };
            VkCheck.Ok(api.CreateShaderModule(device.Handle, &info, 0, &module), $"loading the SPIR-V of kernel '{name}'");
        }
        var kernel = new VulkanKernel(device, name, launch, arguments, module);
        try
        {
            kernel.CreatePipeline(entryPoint);
            return kernel;
        }
        catch
        {
            kernel.Dispose();
            throw;
        }
    }

    /// <summary>Workgroups along y for a step with these symbol values.</summary>
    public uint GroupsY(ReadOnlySpan<int> dims) => _groupsY.Of(dims);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var api = _device.Api;
        if (Pipeline != 0) api.DestroyPipeline(_device.Handle, Pipeline, 0);
        if (PipelineLayout != 0) api.DestroyPipelineLayout(_device.Handle, PipelineLayout, 0);
        if (SetLayout != 0) api.DestroyDescriptorSetLayout(_device.Handle, SetLayout, 0);
        api.DestroyShaderModule(_device.Handle, _module, 0);
    }

    private void CreatePipeline(string entryPoint)
    {
        var api = _device.Api;
        var bindings = stackalloc VkDescriptorSetLayoutBinding[Math.Max(1, Arguments)];
        for (var i = 0; i < Arguments; i++)
            bindings[i] = new VkDescriptorSetLayoutBinding
            {
                Binding = (uint)i, DescriptorType = Vk.DescriptorTypeStorageBuffer, DescriptorCount = 1, StageFlags = Vk.ShaderStage.Compute,
            };
        var setInfo = new VkDescriptorSetLayoutCreateInfo
        {
            SType = VkStructureType.DescriptorSetLayoutCreateInfo, BindingCount = (uint)Arguments, PBindings = bindings,
        };
        ulong setLayout, pipelineLayout, pipeline;
        VkCheck.Ok(api.CreateDescriptorSetLayout(_device.Handle, &setInfo, 0, &setLayout), $"creating the descriptor layout of kernel '{Name}'");
        SetLayout = setLayout;

        var push = new VkPushConstantRange { StageFlags = Vk.ShaderStage.Compute, Offset = 0, Size = PushConstantBytes };
        var layoutInfo = new VkPipelineLayoutCreateInfo
        {
            SType = VkStructureType.PipelineLayoutCreateInfo, SetLayoutCount = 1, PSetLayouts = &setLayout, PushConstantRangeCount = 1, PPushConstantRanges = &push,
        };
        VkCheck.Ok(api.CreatePipelineLayout(_device.Handle, &layoutInfo, 0, &pipelineLayout), $"creating the pipeline layout of kernel '{Name}'");
        PipelineLayout = pipelineLayout;

        fixed (byte* entry = VkStrings.ToNulTerminated(entryPoint))
        {
            var info = new VkComputePipelineCreateInfo
            {
                SType = VkStructureType.ComputePipelineCreateInfo,
                Stage = new VkPipelineShaderStageCreateInfo
                {
                    SType = VkStructureType.PipelineShaderStageCreateInfo, Stage = Vk.ShaderStage.Compute, Module = _module, PName = entry,
                },
                Layout = pipelineLayout,
                BasePipelineIndex = -1,
            };
            VkCheck.Ok(api.CreateComputePipelines(_device.Handle, 0, 1, &info, 0, &pipeline), $"creating the pipeline of kernel '{Name}'");
        }
        Pipeline = pipeline;
    }
}
