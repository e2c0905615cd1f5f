using System.Runtime.InteropServices;

namespace Llmc.Targets.Cuda.Nvrtc;

/// <summary>
/// The NVRTC C API (nvrtc.h) as far as the CUDA target uses it. The library name is a placeholder that
/// <see cref="NvrtcLibrary"/> resolves to whichever NVRTC this machine has.
/// </summary>
internal static unsafe partial class NvrtcNative
{
    public const string Library = "llmc-nvrtc";

    [LibraryImport(Library)]
    public static partial byte* nvrtcGetErrorString(int result);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int nvrtcCreateProgram(out nint program, string source, string name, int headerCount, nint headers, nint includeNames);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int nvrtcCompileProgram(nint program, int optionCount, string[] options);

    [LibraryImport(Library)]
    public static partial int nvrtcDestroyProgram(ref nint program);

    [LibraryImport(Library)]
    public static partial int nvrtcGetProgramLogSize(nint program, out nuint size);

    [LibraryImport(Library)]
    public static partial int nvrtcGetProgramLog(nint program, byte* log);

    [LibraryImport(Library)]
    public static partial int nvrtcGetPTXSize(nint program, out nuint size);

    [LibraryImport(Library)]
    public static partial int nvrtcGetPTX(nint program, byte* ptx);

    [LibraryImport(Library)]
    public static partial int nvrtcGetCUBINSize(nint program, out nuint size);

    [LibraryImport(Library)]
    public static partial int nvrtcGetCUBIN(nint program, byte* cubin);
}
