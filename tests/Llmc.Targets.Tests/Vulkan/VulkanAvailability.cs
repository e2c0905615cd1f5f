using Llmc.Runtime.Devices.Vulkan;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>Whether this machine can run Vulkan tests: a loader with at least one device, and glslc for tests that compile GLSL.</summary>
public static class VulkanAvailability
{
    private static readonly Lazy<string?> DeviceProblem = new(VulkanInstance.Unavailable);

    /// <summary>Why no Vulkan test can run here, or null when a device is present.</summary>
    public static string? Missing => DeviceProblem.Value;

    /// <summary>Why the subgroup kernel variants cannot run here (no device, or one without subgroup arithmetic), or null.</summary>
    public static string? MissingSubgroupArithmetic => Missing ?? SubgroupProblem.Value;

    private static readonly Lazy<string?> SubgroupProblem = new(() =>
    {
        using var instance = VulkanInstance.Create();
        var device = instance.Select(null);
        return device.Features.HasFlag(ShaderFeatures.SubgroupArithmetic) ? null : $"Vulkan {device} reports no subgroup arithmetic in compute shaders";
    });

    /// <summary>Why GLSL cannot be compiled here (no glslc on PATH), or null.</summary>
    public static string? MissingGlslc =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, "glslc")))
            ? null : "glslc is not on PATH (install Debian's glslc)";
}

/// <summary>A fact needing a Vulkan device (and glslc when asked): skipped with the reason when absent.</summary>
public sealed class VulkanFactAttribute : FactAttribute
{
    public VulkanFactAttribute(bool needsGlslc = false)
    {
        Skip = VulkanAvailability.Missing ?? (needsGlslc ? VulkanAvailability.MissingGlslc : null);
    }
}

/// <summary>A theory needing a Vulkan device and glslc: skipped with the reason when either is absent.</summary>
public sealed class VulkanTheoryAttribute : TheoryAttribute
{
    public VulkanTheoryAttribute()
    {
        Skip = VulkanAvailability.Missing ?? VulkanAvailability.MissingGlslc;
    }
}
