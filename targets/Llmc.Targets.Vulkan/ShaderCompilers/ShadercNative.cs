using System.Reflection;
using System.Runtime.InteropServices;

namespace Llmc.Targets.Vulkan.ShaderCompilers;

/// <summary>
/// The few libshaderc entry points we use. The library is located by <see cref="TryLoad"/>, which first opens each
/// candidate with <c>RTLD_NOW</c>: Debian's <c>libshaderc.so.1</c> leaves glslang and SPIRV-Tools symbols unresolved,
/// and binding eagerly turns that into a clean "not available" instead of a crash at the first call.
/// </summary>
internal static partial class ShadercNative
{
    private const string Library = "shaderc";

    public const int ComputeShader = 2;
    public const int TargetEnvVulkan = 0;
    public const uint Vulkan11 = (1u << 22) | (1u << 12);
    public const int OptimizePerformance = 2;
    public const int StatusSuccess = 0;

    private static readonly string[] Candidates = ["libshaderc_shared.so.1", "libshaderc.so.1", "libshaderc_shared.so", "libshaderc.so"];
    private static readonly Lazy<string?> Loaded = new(Load);

    /// <summary>Whether a complete libshaderc could be loaded, and if not, why.</summary>
    public static bool TryLoad(out string problem)
    {
        problem = Loaded.Value is null ? $"no loadable libshaderc ({LastProblem})" : "";
        return Loaded.Value is not null;
    }

    private static string LastProblem { get; set; } = "none found";

    private static string? Load()
    {
        foreach (var name in Candidates)
        {
            var handle = Dlopen(name, RtldNow);
            if (handle == 0)
            {
                if (Marshal.PtrToStringUTF8(Dlerror()) is { } error && !error.Contains("No such file", StringComparison.Ordinal)) LastProblem = error;
                continue;
            }
            NativeLibrary.SetDllImportResolver(typeof(ShadercNative).Assembly, (library, assembly, path) =>
                library == Library ? NativeLibrary.Load(name, assembly, path) : 0);
            return name;
        }
        return null;
    }

    private const int RtldNow = 2;

    [LibraryImport("libc", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint Dlopen(string file, int mode);

    [LibraryImport("libc", EntryPoint = "dlerror")]
    private static partial nint Dlerror();

    [LibraryImport(Library, EntryPoint = "shaderc_compiler_initialize")]
    public static partial nint CompilerInitialize();

    [LibraryImport(Library, EntryPoint = "shaderc_compiler_release")]
    public static partial void CompilerRelease(nint compiler);

    [LibraryImport(Library, EntryPoint = "shaderc_compile_options_initialize")]
    public static partial nint OptionsInitialize();

    [LibraryImport(Library, EntryPoint = "shaderc_compile_options_release")]
    public static partial void OptionsRelease(nint options);

    [LibraryImport(Library, EntryPoint = "shaderc_compile_options_set_target_env")]
    public static partial void OptionsSetTargetEnv(nint options, int target, uint version);

    [LibraryImport(Library, EntryPoint = "shaderc_compile_options_set_optimization_level")]
    public static partial void OptionsSetOptimizationLevel(nint options, int level);

    [LibraryImport(Library, EntryPoint = "shaderc_compile_into_spv", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint CompileIntoSpv(nint compiler, byte[] source, nuint sourceSize, int kind, string fileName, string entry, nint options);

    [LibraryImport(Library, EntryPoint = "shaderc_result_get_compilation_status")]
    public static partial int ResultStatus(nint result);

    [LibraryImport(Library, EntryPoint = "shaderc_result_get_length")]
    public static partial nuint ResultLength(nint result);

    [LibraryImport(Library, EntryPoint = "shaderc_result_get_bytes")]
    public static partial nint ResultBytes(nint result);

    [LibraryImport(Library, EntryPoint = "shaderc_result_get_error_message")]
    public static partial nint ResultErrorMessage(nint result);

    [LibraryImport(Library, EntryPoint = "shaderc_result_release")]
    public static partial void ResultRelease(nint result);
}
