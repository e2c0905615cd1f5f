using Llmc.Runtime.Devices.Vulkan;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary>
/// A fact that builds a vulkan engine and runs it: skipped, with the reason, where there is no Vulkan device or no glslc
/// to compile the kernels (never a silent pass).
/// </summary>
public sealed class VulkanFactAttribute : FactAttribute
{
    internal static readonly Lazy<string?> Missing = new(() => VulkanInstance.Unavailable() ?? MissingGlslc());

    public VulkanFactAttribute()
    {
        Skip = Missing.Value;
    }

    private static string? MissingGlslc() =>
        Environment.GetEnvironmentVariable("LLMC_GLSLC") is { Length: > 0 }
        || (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, "glslc")))
            ? null : "glslc is not on PATH (install Debian's glslc) to build vulkan engines";
}

/// <summary>A theory that builds and runs vulkan engines: skipped, with the reason, as <see cref="VulkanFactAttribute"/> is.</summary>
public sealed class VulkanTheoryAttribute : TheoryAttribute
{
    public VulkanTheoryAttribute()
    {
        Skip = VulkanFactAttribute.Missing.Value;
    }
}
