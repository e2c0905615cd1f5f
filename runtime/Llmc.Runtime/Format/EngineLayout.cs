namespace Llmc.Runtime.Format;

/// <summary>Where things sit in an engine file: the fixed header size and the alignment of sections.</summary>
public static class EngineLayout
{
    public const int HeaderSize = 64;

    /// <summary>Every section starts on a 64-byte boundary: a cache line, and enough for any SIMD load.</summary>
    public const int SectionAlignment = 64;

    /// <summary>Large sections start on a page so a backend can map or register them without copying.</summary>
    public const int LargeSectionAlignment = 4096;

    public const long LargeSectionThreshold = 1 << 20;

    public static int AlignmentFor(long sectionLength) =>
        sectionLength >= LargeSectionThreshold ? LargeSectionAlignment : SectionAlignment;

    public static long AlignUp(long offset, int alignment) => (offset + alignment - 1) / alignment * alignment;
}
