using System.Runtime.InteropServices;

namespace Llmc.Runtime.Devices.Cuda;

/// <summary>CUresult codes the executor reacts to, and turning any failure into one readable line.</summary>
internal static unsafe class CudaResult
{
    public const int Success = 0;
    public const int OutOfMemory = 2;
    public const int NoDevice = 100;

    /// <summary>Throws an <see cref="LlmcException"/> naming the call and the driver's description of <paramref name="result"/>.</summary>
    public static void Check(int result, string call)
    {
        if (result != Success) throw new LlmcException($"CUDA {call} failed: {Describe(result)}");
    }

    /// <summary>The driver's name and description, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY (out of memory)</c>.</summary>
    public static string Describe(int result)
    {
        var name = CudaNative.cuGetErrorName(result, out var n) == Success ? Marshal.PtrToStringUTF8((nint)n) : null;
        var text = CudaNative.cuGetErrorString(result, out var s) == Success ? Marshal.PtrToStringUTF8((nint)s) : null;
        return name is null ? $"error {result}" : $"{name} ({text})";
    }
}
