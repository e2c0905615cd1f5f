namespace Llmc.Runtime.Devices.Vulkan.Interop;

/// <summary>Vulkan's result codes (the ones a compute runtime can meet).</summary>
internal enum VkResult
{
    Success = 0,
    NotReady = 1,
    Timeout = 2,
    Incomplete = 5,
    ErrorOutOfHostMemory = -1,
    ErrorOutOfDeviceMemory = -2,
    ErrorInitializationFailed = -3,
    ErrorDeviceLost = -4,
    ErrorMemoryMapFailed = -5,
    ErrorLayerNotPresent = -6,
    ErrorExtensionNotPresent = -7,
    ErrorFeatureNotPresent = -8,
    ErrorIncompatibleDriver = -9,
    ErrorTooManyObjects = -10,
    ErrorFormatNotSupported = -11,
    ErrorFragmentedPool = -12,
    ErrorUnknown = -13,
    ErrorOutOfPoolMemory = -1000069000,
    ErrorInvalidShaderNv = -1000012000,
}

internal static class VkCheck
{
    /// <summary>Throws a one-line <see cref="LlmcException"/> saying what failed unless <paramref name="result"/> is a success.</summary>
    public static void Ok(VkResult result, string what)
    {
        if (result >= VkResult.Success) return;
        throw new LlmcException(result switch
        {
            VkResult.ErrorOutOfDeviceMemory => $"out of device memory: {what}",
            VkResult.ErrorOutOfHostMemory => $"out of host memory: {what}",
            VkResult.ErrorDeviceLost => $"the Vulkan device was lost: {what}",
            VkResult.ErrorIncompatibleDriver => $"no compatible Vulkan driver: {what}",
            _ => $"Vulkan error {Name(result)}: {what}",
        });
    }

    public static string Name(VkResult result) =>
        Enum.IsDefined(result) ? result.ToString() : ((int)result).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
