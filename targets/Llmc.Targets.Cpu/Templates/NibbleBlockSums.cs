using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// Renders the helpers that add a block of four chunks' products of nibble codes in groups of 32
/// (<see cref="QuantizedRowLayout.NibbleBlocks"/>) into one lane per group, in natural order, without moving any codes.
/// A group's 16 nibble bytes are one 128-bit lane of a chunk, so 128-bit lane q of chunk i holds (as four dwords of
/// partial sums) group i · Lanes / 4 + q of the block. <c>PairSums(a, b)</c> adds dwords 0 + 2 and 1 + 3 of each
/// 128-bit lane of two chunks, interleaved (dword unpacks); <c>BlockSums(p01, p23)</c> adds the qword halves of two such
/// pairs, which leaves chunk i's group of lane q in dword i of 128-bit lane q (<see cref="LaneGroup"/>). The additions
/// are of i16 pairs for 4-bit codes (a chunk's pair sum of both nibbles is at most 2 · 2 · 15 · 128 = 7680, four of
/// them 30720, so none wraps; one pmaddwd by ones per block then makes the group's i32 sum) and of i32 lanes for 6-bit
/// codes (2 · 2 · 63 · 128 = 32256 per chunk: pmaddwd first). Integer sums are exact in any order, so these are the
/// integers of the chunk-by-chunk loop.
/// </summary>
public sealed class NibbleBlockSums(QuantizedRowLayout layout)
{
    private CpuDialect D => layout.Dialect;

    /// <summary>Nibble bytes of a group this summation takes: 32 codes, one 128-bit lane.</summary>
    public const int GroupBytes = 16;

    /// <summary>The group (within its block) whose sum lane <paramref name="lane"/> holds: dword i of 128-bit lane q is chunk i's q-th group.</summary>
    public static int LaneGroup(CpuDialect dialect, int lane) => lane % 4 * (dialect.Lanes / 4) + lane / 4;

    /// <summary>Whether the chunks' products are added as i16 pairs (4-bit codes) rather than i32 lanes (6-bit codes).</summary>
    public bool AddsPairs => layout.Format.Bits == 4;

    /// <summary>The lane type of the chunk products the helpers add.</summary>
    public string PartType => $"{D.VectorClass}<{(AddsPairs ? "short" : "int")}>";

    private string Isa => D.Lanes == 8 ? "Avx2" : "Avx512F";

    private string Element => AddsPairs ? "Int16" : "Int32";

    public void Render(SourceWriter w)
    {
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static {PartType} PairSums({PartType} a, {PartType} b)"))
            w.Line($"return {Isa}.UnpackLow(a.AsInt32(), b.AsInt32()).As{Element}() + {Isa}.UnpackHigh(a.AsInt32(), b.AsInt32()).As{Element}();");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static {D.VectorClass}<int> BlockSums({PartType} p01, {PartType} p23)"))
        {
            w.Line($"{PartType} sums = {Isa}.UnpackLow(p01.AsInt64(), p23.AsInt64()).As{Element}() + {Isa}.UnpackHigh(p01.AsInt64(), p23.AsInt64()).As{Element}();");
            w.Line(AddsPairs ? $"return {D.MultiplyAddAdjacent}(sums, {D.VectorClass}.Create((short)1));" : "return sums;");
        }
    }
}
