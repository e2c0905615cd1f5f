namespace Llmc.Runtime.Plan;

/// <summary>Facts about the activation arena that the compiler's layout and every device share.</summary>
public static class ActivationArena
{
    /// <summary>
    /// Offsets are multiples of this: a cache line, AVX-512 loads, and the largest storage-buffer
    /// offset alignment Vulkan devices demand (256 bytes) are all satisfied.
    /// </summary>
    public const int Alignment = 256;

    public static long AlignUp(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
