using Llmc.Runtime.Devices.Cuda;

namespace Llmc.EndToEnd.Tests.Cuda;

/// <summary>Whether this machine can open a GPU, asked once per test run.</summary>
internal static class CudaPresence
{
    public static readonly Lazy<string?> Missing = new(CudaDevice.Unavailable);
}

/// <summary>A fact that needs a GPU: skipped with the driver's reason (no CUDA device) where none can be opened.</summary>
public sealed class CudaDeviceFactAttribute : FactAttribute
{
    public CudaDeviceFactAttribute()
    {
        if (CudaPresence.Missing.Value is { } reason) Skip = reason;
    }
}

/// <summary>A fact about running without a GPU: skipped where one is present.</summary>
public sealed class NoCudaDeviceFactAttribute : FactAttribute
{
    public NoCudaDeviceFactAttribute()
    {
        if (CudaPresence.Missing.Value is null) Skip = "a CUDA device is present";
    }
}
