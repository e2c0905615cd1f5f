using System.Runtime.InteropServices;

namespace Llmc.Runtime.Devices.Cpu;

/// <summary>
/// Memory that the process commits as it is first written, asked (on Linux) to be backed by transparent huge pages:
/// the KV pool. Each fresh 4 KB page a step writes costs a page fault, and a fresh 16-position block of the SmolLM2-135M
/// config touches 180 of them (3 pages of keys and 3 of values in each of 30 layers), one block a step at 16 sequences:
/// in this virtual machine the 16-row decode step's kernels took 21.0-21.3 ms with 4 KB pages and 19.8-20.3 ms with
/// huge pages (its attention, which writes the rows, 3.5 -> 2.9 ms), a fault now committing 2 MB (170 such blocks of
/// a layer's keys) at once. Where transparent huge pages are off (<c>/sys/kernel/mm/transparent_hugepage/enabled</c>
/// "never") or on other systems the advice is skipped and memory behaves as before; otherwise resident memory grows in
/// 2 MB steps per cache buffer.
/// </summary>
internal static unsafe partial class HugePageMemory
{
    private const long HugePageBytes = 2 * 1024 * 1024;

    // madvise(2) advice: back the range with transparent huge pages.
    private const int AdviseHugePage = 14;

    /// <summary>
    /// <paramref name="bytes"/> of uncleared memory aligned to a huge page, advised as huge pages where the system
    /// can; free it with <see cref="NativeMemory.AlignedFree"/>.
    /// </summary>
    public static void* Allocate(long bytes)
    {
        var memory = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), (nuint)HugePageBytes);
        // Only whole pages of the allocation; advice is a hint, so a refusal (THP off, old kernel) changes nothing.
        var advised = bytes / Environment.SystemPageSize * Environment.SystemPageSize;
        if (OperatingSystem.IsLinux() && advised > 0) _ = madvise(memory, (nuint)advised, AdviseHugePage);
        return memory;
    }

    [LibraryImport("libc")]
    private static partial int madvise(void* address, nuint length, int advice);
}
