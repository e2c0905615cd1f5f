using System.Runtime.InteropServices;

namespace Llmc.Runtime.Devices.Cuda;

/// <summary>
/// The CUDA driver API (cuda.h) as far as the CUDA executor uses it, from the driver's own library. Versioned
/// entry points (<c>_v2</c>) are the ones cuda.h maps the plain names to. Device pointers are 64-bit integers.
/// </summary>
internal static unsafe partial class CudaNative
{
    public const string Library = "libcuda.so.1";

    [LibraryImport(Library)]
    public static partial int cuInit(uint flags);

    [LibraryImport(Library)]
    public static partial int cuDriverGetVersion(out int version);

    [LibraryImport(Library)]
    public static partial int cuGetErrorName(int result, out byte* name);

    [LibraryImport(Library)]
    public static partial int cuGetErrorString(int result, out byte* description);

    [LibraryImport(Library)]
    public static partial int cuDeviceGetCount(out int count);

    [LibraryImport(Library)]
    public static partial int cuDeviceGet(out int device, int ordinal);

    [LibraryImport(Library)]
    public static partial int cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(Library)]
    public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);

    [LibraryImport(Library, EntryPoint = "cuDeviceTotalMem_v2")]
    public static partial int cuDeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(Library)]
    public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);

    [LibraryImport(Library, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    public static partial int cuDevicePrimaryCtxRelease(int device);

    [LibraryImport(Library)]
    public static partial int cuCtxSetCurrent(nint context);

    [LibraryImport(Library, EntryPoint = "cuMemGetInfo_v2")]
    public static partial int cuMemGetInfo(out nuint free, out nuint total);

    [LibraryImport(Library)]
    public static partial int cuModuleLoadDataEx(out nint module, void* image, uint optionCount, int* options, void** optionValues);

    [LibraryImport(Library)]
    public static partial int cuModuleUnload(nint module);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int cuModuleGetFunction(out nint function, nint module, string name);

    [LibraryImport(Library, EntryPoint = "cuMemAlloc_v2")]
    public static partial int cuMemAlloc(out ulong pointer, nuint bytes);

    [LibraryImport(Library, EntryPoint = "cuMemFree_v2")]
    public static partial int cuMemFree(ulong pointer);

    [LibraryImport(Library, EntryPoint = "cuMemAllocHost_v2")]
    public static partial int cuMemAllocHost(out void* pointer, nuint bytes);

    [LibraryImport(Library)]
    public static partial int cuMemFreeHost(void* pointer);

    [LibraryImport(Library, EntryPoint = "cuMemcpyHtoD_v2")]
    public static partial int cuMemcpyHtoD(ulong destination, void* source, nuint bytes);

    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoH_v2")]
    public static partial int cuMemcpyDtoH(void* destination, ulong source, nuint bytes);

    [LibraryImport(Library, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    public static partial int cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);

    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    public static partial int cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(Library, EntryPoint = "cuMemsetD32Async")]
    public static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    [LibraryImport(Library)]
    public static partial int cuStreamCreate(out nint stream, uint flags);

    [LibraryImport(Library, EntryPoint = "cuStreamDestroy_v2")]
    public static partial int cuStreamDestroy(nint stream);

    [LibraryImport(Library)]
    public static partial int cuStreamSynchronize(nint stream);

    [LibraryImport(Library)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters, void** extra);

    [LibraryImport(Library, EntryPoint = "cuStreamBeginCapture_v2")]
    public static partial int cuStreamBeginCapture(nint stream, int mode);

    [LibraryImport(Library)]
    public static partial int cuStreamEndCapture(nint stream, out nint graph);

    [LibraryImport(Library)]
    public static partial int cuGraphInstantiateWithFlags(out nint executable, nint graph, ulong flags);

    [LibraryImport(Library)]
    public static partial int cuGraphLaunch(nint executable, nint stream);

    [LibraryImport(Library)]
    public static partial int cuGraphExecDestroy(nint executable);

    [LibraryImport(Library)]
    public static partial int cuGraphDestroy(nint graph);

    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    public static partial int cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(Library)]
    public static partial int cuEventCreate(out nint @event, uint flags);

    [LibraryImport(Library)]
    public static partial int cuEventRecord(nint @event, nint stream);

    [LibraryImport(Library)]
    public static partial int cuEventSynchronize(nint @event);

    // The unversioned entry: every driver exports it, while cuEventElapsedTime_v2 exists only from CUDA 12.8 on.
    [LibraryImport(Library)]
    public static partial int cuEventElapsedTime(out float milliseconds, nint start, nint end);

    [LibraryImport(Library, EntryPoint = "cuEventDestroy_v2")]
    public static partial int cuEventDestroy(nint @event);
}
