using System.Globalization;
using Llmc.Runtime.Devices.Vulkan.Interop;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>A Vulkan instance and the devices it reports; creating one fails with one clear line when there is no loader.</summary>
public sealed unsafe class VulkanInstance : IDisposable
{
    /// <summary>Names the device to use when none is given (its index in <c>llmc devices</c>).</summary>
    public const string DeviceVariable = "LLMC_VULKAN_DEVICE";

    private nint _handle;

    private VulkanInstance(nint handle, uint apiVersion)
    {
        _handle = handle;
        Api = VkInstanceApi.Load(handle);
        uint count = 0;
        VkCheck.Ok(Api.EnumeratePhysicalDevices(handle, &count, null), "listing Vulkan devices");
        var handles = new nint[count];
        fixed (nint* p = handles) VkCheck.Ok(Api.EnumeratePhysicalDevices(handle, &count, p), "listing Vulkan devices");
        Devices = [.. handles.Take((int)count).Select((h, i) => new VulkanPhysicalDevice(Api, h, i, apiVersion))];
    }

    public IReadOnlyList<VulkanPhysicalDevice> Devices { get; }

    internal VkInstanceApi Api { get; }

    public static VulkanInstance Create()
    {
        var apiVersion = LoaderApiVersion();
        var name = VkStrings.ToNulTerminated("llmc");
        nint handle;
        fixed (byte* appName = name)
        {
            var app = new VkApplicationInfo
            {
                SType = VkStructureType.ApplicationInfo, PApplicationName = appName, PEngineName = appName, ApiVersion = apiVersion,
            };
            var info = new VkInstanceCreateInfo { SType = VkStructureType.InstanceCreateInfo, PApplicationInfo = &app };
            var result = VkInstanceApi.CreateInstance(&info, 0, &handle);
            if (result == VkResult.ErrorIncompatibleDriver)
                throw new LlmcException("no Vulkan device: the Vulkan loader found no driver (install one, e.g. mesa-vulkan-drivers)");
            VkCheck.Ok(result, "creating a Vulkan instance");
        }
        try
        {
            return new VulkanInstance(handle, apiVersion);
        }
        catch
        {
            VkInstanceApi.Load(handle).DestroyInstance(handle, 0);
            throw;
        }
    }

    /// <summary>Why nothing can run on Vulkan here (no loader, no driver, no device), or null when a device is present.</summary>
    public static string? Unavailable()
    {
        try
        {
            using var instance = Create();
            return instance.Devices.Count == 0 ? "no Vulkan device: the Vulkan loader reports none" : null;
        }
        catch (LlmcException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// The device to run on: <paramref name="index"/> if given, else <see cref="DeviceVariable"/>, else the first device of the
    /// most capable type (discrete before integrated before virtual before CPU).
    /// </summary>
    public VulkanPhysicalDevice Select(int? index)
    {
        if (Devices.Count == 0)
            throw new LlmcException("no Vulkan device: the Vulkan loader reports none (install a driver, e.g. mesa-vulkan-drivers for the CPU device lavapipe)");
        var chosen = index ?? FromEnvironment();
        if (chosen is int i)
        {
            if (i < 0 || i >= Devices.Count)
                throw new LlmcException($"no Vulkan device {i}: there {(Devices.Count == 1 ? "is 1 device" : $"are {Devices.Count} devices")} (see llmc devices)");
            return Devices[i];
        }
        return Devices.OrderBy(d => d.TypeRank).ThenBy(d => d.Index).First();
    }

    public void Dispose()
    {
        if (_handle == 0) return;
        Api.DestroyInstance(_handle, 0);
        _handle = 0;
    }

    private static int? FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(DeviceVariable);
        if (string.IsNullOrWhiteSpace(text)) return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i
            : throw new LlmcException($"{DeviceVariable}='{text}' is not a device index (see llmc devices)");
    }

    // The highest version this runtime uses, capped by what the loader offers (a 1.0 loader lacks the query).
    private static uint LoaderApiVersion()
    {
        var enumerate = VkInstanceApi.EnumerateInstanceVersion;
        if (enumerate == null) return Vk.ApiVersion10;
        uint version;
        return enumerate(&version) == VkResult.Success ? Math.Min(version & ~0xfffu, Vk.ApiVersion13) : Vk.ApiVersion10;
    }
}
