using Llmc.Runtime.Benchmarking;

namespace Llmc.Runtime.Devices.Cuda;

/// <summary>
/// Device memory (HBM, GDDR) bandwidth of a GPU: <c>cuMemcpyDtoDAsync</c> between two device buffers on the context's
/// default stream, each copy timed by a pair of events recorded around it.
/// </summary>
public static class CudaBandwidthProbe
{
    private const uint DefaultEventFlags = 0;
    private const nint DefaultStream = 0;

    public static BandwidthMeasurement Measure(CudaDevice device, int trials)
    {
        device.MakeCurrent();
        CudaResult.Check(CudaNative.cuMemGetInfo(out var free, out _), "cuMemGetInfo");
        var bytes = DeviceCopyBandwidth.BufferBytes((long)free);
        ulong source = 0, destination = 0;
        nint start = 0, end = 0;
        try
        {
            source = device.Allocate(bytes, "the bandwidth probe's source buffer");
            destination = device.Allocate(bytes, "the bandwidth probe's destination buffer");
            CudaResult.Check(CudaNative.cuEventCreate(out start, DefaultEventFlags), "cuEventCreate");
            CudaResult.Check(CudaNative.cuEventCreate(out end, DefaultEventFlags), "cuEventCreate");
            // Any words will do; 1.0f rather than zeros, which some memory systems could copy without reading.
            CudaResult.Check(CudaNative.cuMemsetD32Async(source, 0x3F80_0000, (nuint)(bytes / sizeof(uint)), DefaultStream), "cuMemsetD32Async");
            return DeviceCopyBandwidth.Measure($"CUDA {device.Name}", bytes, trials, () =>
            {
                CudaResult.Check(CudaNative.cuEventRecord(start, DefaultStream), "cuEventRecord");
                CudaResult.Check(CudaNative.cuMemcpyDtoDAsync(destination, source, (nuint)bytes, DefaultStream), "cuMemcpyDtoDAsync");
                CudaResult.Check(CudaNative.cuEventRecord(end, DefaultStream), "cuEventRecord");
                CudaResult.Check(CudaNative.cuEventSynchronize(end), "cuEventSynchronize");
                CudaResult.Check(CudaNative.cuEventElapsedTime(out var milliseconds, start, end), "cuEventElapsedTime");
                return milliseconds / 1e3;
            });
        }
        finally
        {
            if (end != 0) CudaNative.cuEventDestroy(end);
            if (start != 0) CudaNative.cuEventDestroy(start);
            if (destination != 0) device.Free(destination);
            if (source != 0) device.Free(source);
        }
    }
}
