using Llmc.Runtime.Format;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>
/// An engine's Vulkan code comes in two variants per kernel, each a kernel-table entry of the kernel's name: the plain
/// module (section <c>kernels.vulkan.&lt;kernel&gt;</c>), which any Vulkan 1.1 device runs, and the subgroup module
/// (<c>kernels.vulkan.subgroup.&lt;kernel&gt;</c>), whose reductions use subgroup arithmetic. A kernel runs its subgroup
/// variant where the engine has one, the device reports subgroup arithmetic in compute shaders and the workgroup is a
/// whole number of subgroups; otherwise (or with <see cref="PlainVariable"/> set to 1) the plain one. A kernel with a
/// many-rows variant has both modules of it too (<c>kernels.vulkan.rows.&lt;kernel&gt;</c>, <c>kernels.vulkan.subgroup.rows.&lt;kernel&gt;</c>),
/// chosen among themselves the same way.
/// </summary>
public static class VulkanKernelVariants
{
    public const string PlainPrefix = "kernels.vulkan.";

    public const string SubgroupPrefix = "kernels.vulkan.subgroup.";

    /// <summary>Set to 1 to run every kernel's plain variant.</summary>
    public const string PlainVariable = "LLMC_VULKAN_PLAIN";

    /// <summary>Between the prefix and the kernel's name in the sections of its many-rows code (<see cref="KernelLaunch.MinRows"/>).</summary>
    public const string ManyRowsPart = "rows.";

    /// <summary>The section of one kernel's variant, for any step or (<paramref name="manyRows"/>) its many-rows code.</summary>
    public static string Section(string kernel, bool subgroups, bool manyRows = false) =>
        (subgroups ? SubgroupPrefix : PlainPrefix) + (manyRows ? ManyRowsPart : "") + kernel;

    public static bool IsSubgroup(string section) => section.StartsWith(SubgroupPrefix, StringComparison.Ordinal);

    /// <summary>Whether <see cref="PlainVariable"/> asks for the plain variants.</summary>
    public static bool PlainForced => Environment.GetEnvironmentVariable(PlainVariable) == "1";

    /// <summary>
    /// The entry to run among one kernel's Vulkan entries (each with launch geometry): the subgroup variant where the
    /// device can run it and <paramref name="plainOnly"/> is false, else the plain one.
    /// </summary>
    public static KernelEntry Choose(IReadOnlyList<KernelEntry> entries, ShaderFeatures features, uint subgroupSize, bool plainOnly)
    {
        var plain = entries.FirstOrDefault(k => !IsSubgroup(k.Section));
        var subgroup = entries.FirstOrDefault(k => IsSubgroup(k.Section));
        var canRun = subgroup is not null && !plainOnly && features.HasFlag(ShaderFeatures.SubgroupArithmetic)
            && subgroupSize > 0 && subgroup.Launch!.LocalSize % subgroupSize == 0;
        return canRun || plain is null ? subgroup ?? plain! : plain;
    }
}
