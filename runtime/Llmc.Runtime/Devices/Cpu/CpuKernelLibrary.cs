using System.Reflection;
using System.Runtime.Loader;

namespace Llmc.Runtime.Devices.Cpu;

/// <summary>
/// An engine's compiled CPU kernels, loaded into their own collectible load context so that disposing the
/// library unloads the code. Each kernel is an entry point callable as
/// <c>delegate* managed&lt;int, int, nint*, int*, void&gt;</c> (see <see cref="CpuKernelAbi"/>).
/// </summary>
public sealed class CpuKernelLibrary : IDisposable
{
    private readonly AssemblyLoadContext _context;
    private readonly Dictionary<string, nint> _entries;

    private CpuKernelLibrary(AssemblyLoadContext context, Assembly assembly, Dictionary<string, nint> entries)
    {
        _context = context;
        Assembly = assembly;
        _entries = entries;
    }

    /// <summary>The loaded kernel assembly; holding it keeps the entry points valid.</summary>
    public Assembly Assembly { get; }

    /// <summary>Kernel names mapped to their entry points.</summary>
    public IReadOnlyDictionary<string, nint> Entries => _entries;

    /// <summary>The entry point of the kernel named <paramref name="kernel"/>.</summary>
    public nint this[string kernel] =>
        _entries.TryGetValue(kernel, out var entry) ? entry : throw new LlmcException($"the CPU kernel library has no kernel '{kernel}'");

    /// <summary>
    /// Loads <paramref name="assembly"/> and resolves each kernel's <c>entry</c> method, compiling it now so the
    /// first token does not pay for it.
    /// </summary>
    public static CpuKernelLibrary Load(ReadOnlySpan<byte> assembly, IEnumerable<(string name, string entry)> kernels)
    {
        var context = new AssemblyLoadContext("llmc-cpu-kernels", isCollectible: true);
        try
        {
            var loaded = context.LoadFromStream(new MemoryStream(assembly.ToArray(), writable: false));
            var typeName = CpuKernelAbi.Namespace + "." + CpuKernelAbi.ClassName;
            var type = loaded.GetType(typeName) ?? throw new LlmcException($"the CPU kernel assembly has no class {typeName}");
            var entries = new Dictionary<string, nint>(StringComparer.Ordinal);
            foreach (var (name, entry) in kernels)
                entries[name] = Resolve(type, name, entry);
            return new CpuKernelLibrary(context, loaded, entries);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException)
        {
            context.Unload();
            throw new LlmcException($"the CPU kernel assembly cannot be loaded: {e.Message}", e);
        }
        catch
        {
            context.Unload();
            throw;
        }
    }

    public void Dispose() => _context.Unload();

    private static nint Resolve(Type type, string name, string entry)
    {
        var method = type.GetMethod(entry, BindingFlags.Public | BindingFlags.Static, [typeof(int), typeof(int), typeof(nint*), typeof(int*)]);
        if (method is null || method.ReturnType != typeof(void))
            throw new LlmcException($"CPU kernel '{name}': the kernel assembly has no entry 'static void {entry}(int, int, nint*, int*)'");
        System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(method.MethodHandle);
        return method.MethodHandle.GetFunctionPointer();
    }
}
