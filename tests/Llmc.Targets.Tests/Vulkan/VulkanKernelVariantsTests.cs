using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Format;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>Which variant of a kernel the Vulkan runtime runs, for devices with and without subgroup arithmetic.</summary>
public sealed class VulkanKernelVariantsTests
{
    private static readonly KernelEntry[] Both = [Entry(subgroups: false), Entry(subgroups: true)];

    [Fact]
    public void Subgroup_variant_is_chosen_where_the_device_has_subgroup_arithmetic_and_the_workgroup_is_whole_subgroups() =>
        Assert.Equal("kernels.vulkan.subgroup.k", VulkanKernelVariants.Choose(Both, ShaderFeatures.SubgroupArithmetic, 8, plainOnly: false).Section);

    [Fact]
    public void Plain_variant_is_chosen_when_forced() =>
        Assert.Equal("kernels.vulkan.k", VulkanKernelVariants.Choose(Both, ShaderFeatures.SubgroupArithmetic, 8, plainOnly: true).Section);

    [Theory]
    [InlineData(ShaderFeatures.SubgroupBasic, 8u)]
    [InlineData(ShaderFeatures.SubgroupArithmetic, 0u)]
    [InlineData(ShaderFeatures.SubgroupArithmetic, 48u)]
    public void Plain_variant_is_chosen_without_subgroup_arithmetic_or_whole_subgroups(ShaderFeatures features, uint subgroupSize) =>
        Assert.Equal("kernels.vulkan.k", VulkanKernelVariants.Choose(Both, features, subgroupSize, plainOnly: false).Section);

    [Fact]
    public void Engines_with_only_the_plain_variant_run_it() =>
        Assert.Equal("kernels.vulkan.k", VulkanKernelVariants.Choose([Both[0]], ShaderFeatures.SubgroupArithmetic, 8, plainOnly: false).Section);

    private static KernelEntry Entry(bool subgroups) => new()
    {
        Name = "k", Template = "rmsnorm", Params = [], Section = VulkanKernelVariants.Section("k", subgroups), Entry = "main", Format = "spirv",
        Launch = new KernelLaunch { LocalSize = 64, GroupsX = 1, GroupsY = "1" },
    };
}
