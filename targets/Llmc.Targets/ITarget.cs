namespace Llmc.Targets;

/// <summary>
/// A code generator for one target (<c>cpu-avx2</c>, <c>cuda-sm89</c>, <c>vulkan</c>...):
/// renders kernel templates in its dialect and compiles them with its toolchain at build time.
/// </summary>
public interface ITarget
{
    /// <summary>The target name as given to <c>llmc build --target</c>.</summary>
    string Name { get; }

    /// <summary>Whether this target has a kernel template for the op.</summary>
    bool Supports(string template);

    /// <summary>Compiles every kernel; throws <see cref="TargetException"/> naming the kernel that failed.</summary>
    CompiledKernels Compile(IReadOnlyList<KernelInstance> kernels);
}

/// <summary>The compiled code: named blobs to store as engine sections, and where each kernel's entry point is.</summary>
public sealed record CompiledKernels(IReadOnlyList<CompiledKernel> Kernels, IReadOnlyDictionary<string, byte[]> Sections);

/// <summary>
/// One kernel's code location: <paramref name="Section"/> holds it, <paramref name="Entry"/> names it there;
/// GPU kernels also carry their launch geometry.
/// </summary>
public sealed record CompiledKernel(KernelInstance Instance, string Section, string Entry, string Format, Runtime.Format.KernelLaunch? Launch = null);

/// <summary>A kernel failed to render or compile; the message names it and carries the toolchain's log.</summary>
public sealed class TargetException(string message) : Exception(message);
