using System.Runtime.InteropServices;

namespace Llmc.Targets.Cuda.Nvrtc;

/// <summary>Turns an NVRTC result code into an exception carrying NVRTC's own name for it.</summary>
internal static unsafe class NvrtcError
{
    public const int Success = 0;

    /// <summary>NVRTC_ERROR_COMPILATION: the source did not compile; the program log says why.</summary>
    public const int Compilation = 6;

    public static void Check(int result, string call)
    {
        if (result != Success) throw new TargetException($"{call} failed: {Describe(result)}");
    }

    public static string Describe(int result) =>
        Marshal.PtrToStringUTF8((nint)NvrtcNative.nvrtcGetErrorString(result)) ?? $"NVRTC error {result}";
}
