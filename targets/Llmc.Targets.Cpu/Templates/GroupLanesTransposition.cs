using System.Globalization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// Renders the helpers that put 8-bit codes in groups of 32 into lane order (<see cref="QuantizedRowLayout.GroupLanes"/>):
/// a block of <see cref="CpuDialect.Lanes"/> groups (8 vectors of codes) is transposed as a matrix of 4-byte pieces, so
/// vector v holds piece v (codes 4v..4v + 3) of every group of the block, one group per i32 lane, and a block's
/// integer dot product accumulates each group's 32 products in a lane of its own. The same transposition serves the
/// weights (a column once per panel) and the prepared activation rows, so their pieces meet lane for lane; the lane
/// of each group is <see cref="LaneGroup"/>, which the scales follow (<see cref="LaneOrderedScales"/>).
/// <para>AVX2: the 8 × 8 transposition of dwords (unpack pairs of dwords, then of qwords, then 128-bit halves); a vector
/// is one group and lane l holds group l. AVX-512: a vector is two groups, one per 256-bit half, and the same three
/// stages on both halves at once (the third with a two-source qword permute) leave groups 0, 2, .., 14 in the low half
/// and 1, 3, .., 15 in the high one.</para>
/// </summary>
public sealed class GroupLanesTransposition(CpuDialect dialect)
{
    /// <summary>Codes per group this layout takes: a lane's four code bytes in each of 8 vectors.</summary>
    public const int GroupSize = 32;

    /// <summary>Vectors per block: the pieces of a group.</summary>
    public const int Pieces = GroupSize / 4;

    // How far ahead of its loads a column's transposition asks for code bytes: the 135M q8 config's 16-row step measured
    // 29.8 ms with 1 KB, 28.4 ms with 3 KB (medians of 5), and 2 or 4 KB no better than 3.
    private const int PrefetchBytes = 3072;

    /// <summary>Code bytes of a block: Lanes groups.</summary>
    public static int BlockBytes(CpuDialect dialect) => dialect.Lanes * GroupSize;

    /// <summary>The group (within its block) whose codes and scales lane <paramref name="lane"/> holds.</summary>
    public static int LaneGroup(CpuDialect dialect, int lane) => dialect.Lanes == 8 ? lane : 2 * (lane % 8) + lane / 8;

    private string C => dialect.VectorClass;

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>TransposeBlock(from, to)</c> (may be in place), <c>TransposeRow(codes, to)</c> for a weight column of
    /// <c>G</c> groups (its whole blocks transposed, the groups after them copied as they are) and <c>GroupSums</c>;
    /// the scales follow the lanes through <see cref="LaneOrderedScales"/>.
    /// </summary>
    public void Render(SourceWriter w)
    {
        RenderTransposeBlock(w);
        RenderTransposeRow(w);
        RenderGroupSums(w);
    }

    private void RenderTransposeBlock(SourceWriter w)
    {
        var bytes = dialect.ByteLanes;
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static void TransposeBlock(byte* from, byte* to)"))
        {
            for (var i = 0; i < Pieces; i++) w.Line($"{C}<int> r{i} = {C}.Load(from + {Int(i * bytes)}).AsInt32();");
            for (var i = 0; i < Pieces; i += 2)
            {
                w.Line($"{C}<long> t{i} = {Isa}.UnpackLow(r{i}, r{i + 1}).AsInt64();");
                w.Line($"{C}<long> t{i + 1} = {Isa}.UnpackHigh(r{i}, r{i + 1}).AsInt64();");
            }
            // u0..u3 from t0..t3 and u4..u7 from t4..t7: piece order 0, 1, 2, 3 within each 128-bit lane.
            foreach (var q in new[] { 0, 4 })
            {
                w.Line($"{C}<long> u{q} = {Isa}.UnpackLow(t{q}, t{q + 2});");
                w.Line($"{C}<long> u{q + 1} = {Isa}.UnpackHigh(t{q}, t{q + 2});");
                w.Line($"{C}<long> u{q + 2} = {Isa}.UnpackLow(t{q + 1}, t{q + 3});");
                w.Line($"{C}<long> u{q + 3} = {Isa}.UnpackHigh(t{q + 1}, t{q + 3});");
            }
            DeclareQuarters(w);
            for (var v = 0; v < Pieces; v++)
                w.Line($"{Quarters($"u{v % 4}", $"u{v % 4 + 4}", high: v >= 4)}.AsByte().Store(to + {Int(v * bytes)});");
        }
    }

    /// <summary>The instruction set of the unpacks of the first two stages at this width.</summary>
    private string Isa => dialect.Lanes == 8 ? "Avx2" : "Avx512F";

    /// <summary>Declares the qword indices <see cref="Quarters"/> uses at 512 bits.</summary>
    private void DeclareQuarters(SourceWriter w)
    {
        if (dialect.Lanes == 8) return;
        w.Line("Vector512<long> lowQuarters = Vector512.Create(0L, 1, 8, 9, 4, 5, 12, 13);");
        w.Line("Vector512<long> highQuarters = Vector512.Create(2L, 3, 10, 11, 6, 7, 14, 15);");
    }

    /// <summary>
    /// The third stage: the low (or, <paramref name="high"/>, the high) 128-bit lane of every 256-bit half of the qword
    /// vectors <paramref name="a"/> and <paramref name="b"/>, a's then b's in each half.
    /// </summary>
    private string Quarters(string a, string b, bool high) => dialect.Lanes == 8
        ? $"Avx2.Permute2x128({a}, {b}, {(high ? "0x31" : "0x20")})"
        : $"Avx512F.PermuteVar8x64x2({a}, {(high ? "highQuarters" : "lowQuarters")}, {b})";

    /// <summary>
    /// <c>GroupSums(d0, .., d7)</c>: the i32 dot products of a block's 8 chunks of codes in natural order (chunk j's
    /// lanes partial sums of its groups), summed per group into the lanes <see cref="LaneGroup"/> gives, exactly as a
    /// transposed block's accumulator holds them: pairs of dwords, then of qwords, added within 128-bit lanes, then
    /// the 128-bit quarters of each group (the transposition's third stage).
    /// </summary>
    private void RenderGroupSums(SourceWriter w)
    {
        var parameters = string.Join(", ", Enumerable.Range(0, Pieces).Select(i => $"{C}<int> d{i}"));
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static {C}<int> GroupSums({parameters})"))
        {
            for (var i = 0; i < Pieces; i += 2)
                w.Line($"{C}<long> p{i} = ({Isa}.UnpackLow(d{i}, d{i + 1}) + {Isa}.UnpackHigh(d{i}, d{i + 1})).AsInt64();");
            foreach (var q in new[] { 0, 4 })
                // Added as dwords: a qword add would carry from one group's sum into the next.
                w.Line($"{C}<long> q{q} = ({Isa}.UnpackLow(p{q}, p{q + 2}).AsInt32() + {Isa}.UnpackHigh(p{q}, p{q + 2}).AsInt32()).AsInt64();");
            DeclareQuarters(w);
            w.Line($"return {Quarters("q0", "q4", high: false)}.AsInt32() + {Quarters("q0", "q4", high: true)}.AsInt32();");
        }
    }

    private void RenderTransposeRow(SourceWriter w)
    {
        var blockBytes = BlockBytes(dialect);
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static void TransposeRow(byte* codes, byte* to)"))
        {
            using (w.Block("for (int b = 0; b < FullBlocks; b++)"))
            {
                // A hint never faults, so it may run past the weights.
                w.Line($"for (int i = 0; i < {Int(blockBytes)}; i += 64) Sse.Prefetch0(codes + b * {Int(blockBytes)} + i + {Int(PrefetchBytes)});");
                w.Line($"TransposeBlock(codes + b * {Int(blockBytes)}, to + b * {Int(blockBytes)});");
            }
            // The groups after the whole blocks stay in natural order, 32 bytes each.
            w.Line($"for (int i = FullBlocks * {Int(blockBytes)}; i < G * {Int(GroupSize)}; i += 32) Vector256.Load(codes + i).Store(to + i);");
        }
    }
}
