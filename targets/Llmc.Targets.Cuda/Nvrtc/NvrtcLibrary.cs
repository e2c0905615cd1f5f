using System.Reflection;
using System.Runtime.InteropServices;

namespace Llmc.Targets.Cuda.Nvrtc;

/// <summary>
/// Finds NVRTC: the file named by <c>LLMC_NVRTC_PATH</c> if set, else the newest of the sonames CUDA 13, 12 and 11
/// install. NVRTC is needed only to build CUDA engines, never to run them.
/// </summary>
public static class NvrtcLibrary
{
    public const string PathVariable = "LLMC_NVRTC_PATH";

    /// <summary>Sonames tried in order when <see cref="PathVariable"/> is not set.</summary>
    public static IReadOnlyList<string> Sonames { get; } = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"];

    private static readonly Lazy<(nint Handle, string? Problem)> Loaded = new(Load);

    static NvrtcLibrary() =>
        NativeLibrary.SetDllImportResolver(typeof(NvrtcLibrary).Assembly, Resolve);

    /// <summary>Why NVRTC cannot be used on this machine, or null when it can.</summary>
    public static string? Problem => Loaded.Value.Problem;

    /// <summary>Loads NVRTC or throws a <see cref="TargetException"/> saying what was tried.</summary>
    public static void Require()
    {
        if (Problem is { } problem) throw new TargetException(problem);
    }

    private static (nint, string?) Load()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path)
        {
            return NativeLibrary.TryLoad(path, out var handle)
                ? (handle, null)
                : (0, $"NVRTC cannot be loaded from {PathVariable}={path}; CUDA targets need NVRTC at build time");
        }
        foreach (var soname in Sonames)
            if (NativeLibrary.TryLoad(soname, out var handle)) return (handle, null);
        return (0, $"NVRTC is not installed (tried {string.Join(", ", Sonames)}); CUDA targets need it at build time: " +
                   $"install the CUDA toolkit's NVRTC (Debian: libnvrtc11.2) or set {PathVariable} to libnvrtc.so");
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != NvrtcNative.Library) return 0;
        Require();
        return Loaded.Value.Handle;
    }
}
