using System.Text;

namespace Llmc.Runtime.Devices.Cuda;

/// <summary>
/// A GPU through the CUDA driver: its primary context made current on the calling thread, and device memory
/// allocations that fail with a message naming what did not fit.
/// </summary>
public sealed unsafe class CudaDevice : IDisposable
{
    /// <summary>The start of every "no GPU" message, so callers and tests can recognise the condition.</summary>
    public const string NoDevice = "no CUDA device is available";

    private const int ComputeCapabilityMajor = 75;
    private const int ComputeCapabilityMinor = 76;

    private readonly int _device;
    private bool _released;

    private CudaDevice(int device, nint context, string name, int architecture, long totalBytes)
    {
        _device = device;
        Context = context;
        Name = name;
        Architecture = architecture;
        TotalBytes = totalBytes;
    }

    public nint Context { get; }

    public string Name { get; }

    /// <summary>Compute capability as major × 10 + minor, e.g. 89.</summary>
    public int Architecture { get; }

    /// <summary>The GPU's memory in bytes.</summary>
    public long TotalBytes { get; }

    /// <summary>Initialises the driver and opens GPU <paramref name="ordinal"/> (0 unless asked; <c>CUDA_VISIBLE_DEVICES</c> renumbers them).</summary>
    /// <exception cref="LlmcException">No driver, no GPU, or the driver refuses to start; one line starting with <see cref="NoDevice"/>.</exception>
    public static CudaDevice Open(int ordinal = 0)
    {
        var count = Count();
        if (ordinal < 0 || ordinal >= count) throw new LlmcException($"{NoDevice}: there is no CUDA device {ordinal}; the driver reports {count} (0 to {count - 1})");

        CudaResult.Check(CudaNative.cuDeviceGet(out var device, ordinal), "cuDeviceGet");
        var name = new byte[256];
        fixed (byte* p = name) CudaResult.Check(CudaNative.cuDeviceGetName(p, name.Length, device), "cuDeviceGetName");
        CudaResult.Check(CudaNative.cuDeviceGetAttribute(out var major, ComputeCapabilityMajor, device), "cuDeviceGetAttribute");
        CudaResult.Check(CudaNative.cuDeviceGetAttribute(out var minor, ComputeCapabilityMinor, device), "cuDeviceGetAttribute");
        CudaResult.Check(CudaNative.cuDeviceTotalMem(out var bytes, device), "cuDeviceTotalMem");
        CudaResult.Check(CudaNative.cuDevicePrimaryCtxRetain(out var context, device), "cuDevicePrimaryCtxRetain");
        var opened = new CudaDevice(device, context, Encoding.UTF8.GetString(name).TrimEnd('\0'), major * 10 + minor, (long)bytes);
        opened.MakeCurrent();
        return opened;
    }

    /// <summary>Initialises the driver and counts its GPUs (at least one).</summary>
    /// <exception cref="LlmcException">No driver, no GPU, or the driver refuses to start; one line starting with <see cref="NoDevice"/>.</exception>
    public static int Count()
    {
        int result;
        try
        {
            result = CudaNative.cuInit(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new LlmcException($"{NoDevice}: the NVIDIA driver library {CudaNative.Library} cannot be loaded");
        }
        if (result == CudaResult.NoDevice) throw new LlmcException($"{NoDevice}: the NVIDIA driver reports no GPU");
        if (result != CudaResult.Success) throw new LlmcException($"{NoDevice}: cuInit failed: {CudaResult.Describe(result)}");
        CudaResult.Check(CudaNative.cuDeviceGetCount(out var count), "cuDeviceGetCount");
        if (count == 0) throw new LlmcException($"{NoDevice}: the NVIDIA driver reports no GPU");
        return count;
    }

    /// <summary>Why no GPU can be opened here (the message <see cref="Open"/> would throw), or null when one can.</summary>
    public static string? Unavailable()
    {
        try
        {
            Open().Dispose();
            return null;
        }
        catch (LlmcException e)
        {
            return e.Message;
        }
    }

    /// <summary>Makes this GPU's context current on the calling thread (driver calls act on the current context).</summary>
    public void MakeCurrent() => CudaResult.Check(CudaNative.cuCtxSetCurrent(Context), "cuCtxSetCurrent");

    /// <summary>Allocates device memory for <paramref name="what"/>; running out is an error naming it and the free memory.</summary>
    public ulong Allocate(long bytes, string what)
    {
        var result = CudaNative.cuMemAlloc(out var pointer, (nuint)Math.Max(bytes, 1));
        if (result == CudaResult.OutOfMemory)
        {
            CudaNative.cuMemGetInfo(out var free, out var total);
            throw new LlmcException($"out of device memory on {Name}: {what} needs {bytes:N0} bytes, {(ulong)free:N0} of {(ulong)total:N0} are free");
        }
        CudaResult.Check(result, $"cuMemAlloc of {bytes:N0} bytes for {what}");
        return pointer;
    }

    public void Free(ulong pointer) => CudaResult.Check(CudaNative.cuMemFree(pointer), "cuMemFree");

    /// <summary>Copies <paramref name="source"/> to device memory at <paramref name="destination"/>, waiting for the copy.</summary>
    public void Upload(ulong destination, ReadOnlySpan<byte> source)
    {
        fixed (byte* p = source) CudaResult.Check(CudaNative.cuMemcpyHtoD(destination, p, (nuint)source.Length), "cuMemcpyHtoD");
    }

    /// <summary>Copies device memory at <paramref name="source"/> into <paramref name="destination"/> after all work queued before it.</summary>
    public void Download(ulong source, Span<byte> destination)
    {
        fixed (byte* p = destination) CudaResult.Check(CudaNative.cuMemcpyDtoH(p, source, (nuint)destination.Length), "cuMemcpyDtoH");
    }

    /// <summary>Page-locked host memory, which asynchronous copies and captured graphs need.</summary>
    public void* AllocateHost(long bytes, string what)
    {
        var result = CudaNative.cuMemAllocHost(out var pointer, (nuint)Math.Max(bytes, 1));
        if (result == CudaResult.OutOfMemory) throw new LlmcException($"out of page-locked host memory: {what} needs {bytes:N0} bytes");
        CudaResult.Check(result, $"cuMemAllocHost of {bytes:N0} bytes for {what}");
        return pointer;
    }

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        CudaNative.cuDevicePrimaryCtxRelease(_device);
    }
}
