using System.Runtime.InteropServices;

namespace Llmc.Runtime.Devices.Vulkan.Interop;

/// <summary>
/// The Vulkan loader, opened once per process. Only <c>vkGetInstanceProcAddr</c> is taken from its exports; every other
/// function comes through it (and <c>vkGetDeviceProcAddr</c>), as the loader documentation recommends.
/// <c>LLMC_VULKAN_LOADER</c> names another loader file (a path or soname).
/// </summary>
internal static unsafe class VkLibrary
{
    public const string OverrideVariable = "LLMC_VULKAN_LOADER";

    private static readonly string[] Sonames = ["libvulkan.so.1", "libvulkan.so", "vulkan-1.dll", "libvulkan.1.dylib"];

    private static readonly Lazy<nint> GetInstanceProcAddrExport = new(Load);

    /// <summary><c>vkGetInstanceProcAddr</c>; throws an <see cref="LlmcException"/> naming the loader when there is none.</summary>
    public static delegate* unmanaged<nint, byte*, nint> GetInstanceProcAddr =>
        (delegate* unmanaged<nint, byte*, nint>)GetInstanceProcAddrExport.Value;

    /// <summary>A function by name: a global one when <paramref name="instance"/> is 0, else one of that instance.</summary>
    public static nint Function(nint instance, string name)
    {
        fixed (byte* chars = VkStrings.ToNulTerminated(name)) return GetInstanceProcAddr(instance, chars);
    }

    private static nint Load()
    {
        var candidates = Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } chosen ? [chosen] : Sonames;
        foreach (var name in candidates)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (NativeLibrary.TryGetExport(handle, "vkGetInstanceProcAddr", out var export)) return export;
            throw new LlmcException($"no Vulkan loader: {name} does not export vkGetInstanceProcAddr");
        }
        throw new LlmcException($"no Vulkan loader: {string.Join(", ", candidates)} not found (install the Vulkan loader, e.g. Debian's libvulkan1, and a driver such as mesa-vulkan-drivers)");
    }
}
