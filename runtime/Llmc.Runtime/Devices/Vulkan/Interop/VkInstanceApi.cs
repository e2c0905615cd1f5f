namespace Llmc.Runtime.Devices.Vulkan.Interop;

/// <summary>The global and instance-level functions the runtime calls, resolved through <c>vkGetInstanceProcAddr</c>.</summary>
internal sealed unsafe class VkInstanceApi
{
    private VkInstanceApi(nint instance)
    {
        DestroyInstance = (delegate* unmanaged<nint, nint, void>)Require(instance, "vkDestroyInstance");
        EnumeratePhysicalDevices = (delegate* unmanaged<nint, uint*, nint*, VkResult>)Require(instance, "vkEnumeratePhysicalDevices");
        GetPhysicalDeviceProperties = (delegate* unmanaged<nint, VkPhysicalDeviceProperties*, void>)Require(instance, "vkGetPhysicalDeviceProperties");
        GetPhysicalDeviceMemoryProperties = (delegate* unmanaged<nint, VkPhysicalDeviceMemoryProperties*, void>)Require(instance, "vkGetPhysicalDeviceMemoryProperties");
        GetPhysicalDeviceQueueFamilyProperties = (delegate* unmanaged<nint, uint*, VkQueueFamilyProperties*, void>)Require(instance, "vkGetPhysicalDeviceQueueFamilyProperties");
        EnumerateDeviceExtensionProperties = (delegate* unmanaged<nint, byte*, uint*, VkExtensionProperties*, VkResult>)Require(instance, "vkEnumerateDeviceExtensionProperties");
        // Vulkan 1.1 functions: absent from a 1.0 loader, and only called for devices reporting 1.1 or later.
        GetPhysicalDeviceProperties2 = (delegate* unmanaged<nint, VkPhysicalDeviceProperties2*, void>)VkLibrary.Function(instance, "vkGetPhysicalDeviceProperties2");
        GetPhysicalDeviceFeatures2 = (delegate* unmanaged<nint, VkPhysicalDeviceFeatures2*, void>)VkLibrary.Function(instance, "vkGetPhysicalDeviceFeatures2");
        CreateDevice = (delegate* unmanaged<nint, VkDeviceCreateInfo*, nint, nint*, VkResult>)Require(instance, "vkCreateDevice");
        GetDeviceProcAddr = (delegate* unmanaged<nint, byte*, nint>)Require(instance, "vkGetDeviceProcAddr");
    }

    public delegate* unmanaged<nint, nint, void> DestroyInstance { get; }
    public delegate* unmanaged<nint, uint*, nint*, VkResult> EnumeratePhysicalDevices { get; }
    public delegate* unmanaged<nint, VkPhysicalDeviceProperties*, void> GetPhysicalDeviceProperties { get; }
    public delegate* unmanaged<nint, VkPhysicalDeviceProperties2*, void> GetPhysicalDeviceProperties2 { get; }
    public delegate* unmanaged<nint, VkPhysicalDeviceFeatures2*, void> GetPhysicalDeviceFeatures2 { get; }
    public delegate* unmanaged<nint, VkPhysicalDeviceMemoryProperties*, void> GetPhysicalDeviceMemoryProperties { get; }
    public delegate* unmanaged<nint, uint*, VkQueueFamilyProperties*, void> GetPhysicalDeviceQueueFamilyProperties { get; }
    public delegate* unmanaged<nint, byte*, uint*, VkExtensionProperties*, VkResult> EnumerateDeviceExtensionProperties { get; }
    public delegate* unmanaged<nint, VkDeviceCreateInfo*, nint, nint*, VkResult> CreateDevice { get; }
    public delegate* unmanaged<nint, byte*, nint> GetDeviceProcAddr { get; }

    /// <summary><c>vkCreateInstance</c>, a global function.</summary>
    public static delegate* unmanaged<VkInstanceCreateInfo*, nint, nint*, VkResult> CreateInstance =>
        (delegate* unmanaged<VkInstanceCreateInfo*, nint, nint*, VkResult>)Require(0, "vkCreateInstance");

    /// <summary><c>vkEnumerateInstanceVersion</c>, or null for a Vulkan 1.0 loader that lacks it.</summary>
    public static delegate* unmanaged<uint*, VkResult> EnumerateInstanceVersion =>
        (delegate* unmanaged<uint*, VkResult>)VkLibrary.Function(0, "vkEnumerateInstanceVersion");

    public static VkInstanceApi Load(nint instance) => new(instance);

    private static nint Require(nint instance, string name) =>
        VkLibrary.Function(instance, name) is var f and not 0 ? f : throw new LlmcException($"the Vulkan loader does not provide {name}");
}
