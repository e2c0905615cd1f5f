using Llmc.Runtime.Devices.Cuda;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>A theory that runs kernels on a GPU: skipped with the driver's reason (no CUDA device) where none can be opened.</summary>
public sealed class CudaDeviceTheoryAttribute : TheoryAttribute
{
    private static readonly Lazy<string?> Missing = new(CudaDevice.Unavailable);

    public CudaDeviceTheoryAttribute()
    {
        if (Missing.Value is { } reason) Skip = reason;
    }
}
