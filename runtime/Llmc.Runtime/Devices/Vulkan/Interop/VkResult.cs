using System.Runtime.CompilerServices;

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
        if (result < VkResult.Success) throw Error(result, what);
    }

    /// <summary>As <see cref="Ok(VkResult, string)"/>, formatting the message only on failure, so the hot path allocates nothing.</summary>
    public static void Ok(VkResult result, [InterpolatedStringHandlerArgument(nameof(result))] ref VkFailureMessage what)
    {
        if (result < VkResult.Success) throw Error(result, what.ToStringAndClear());
    }

    private static LlmcException Error(VkResult result, string what) => new(result switch
        {
            VkResult.ErrorOutOfDeviceMemory => $"out of device memory: {what}",
            VkResult.ErrorOutOfHostMemory => $"out of host memory: {what}",
            VkResult.ErrorDeviceLost => $"the Vulkan device was lost: {what}",
            VkResult.ErrorIncompatibleDriver => $"no compatible Vulkan driver: {what}",
            _ => $"Vulkan error {Name(result)}: {what}",
        });

    public static string Name(VkResult result) =>
        Enum.IsDefined(result) ? result.ToString() : ((int)result).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An interpolated error message that is only formatted when the result it accompanies is a failure.</summary>
[InterpolatedStringHandler]
internal ref struct VkFailureMessage
{
    private DefaultInterpolatedStringHandler _text;

    public VkFailureMessage(int literalLength, int formattedCount, VkResult result, out bool failed)
    {
        failed = result < VkResult.Success;
        _text = failed ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string s) => _text.AppendLiteral(s);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public string ToStringAndClear() => _text.ToStringAndClear();
}
