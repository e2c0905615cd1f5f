using System.Globalization;
using Llmc.Ir.Quantization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>PrepareRow(x, prepared)</c>: rounds an f32 row to int8 per group exactly as <see cref="ActivationQuantization"/>
/// does, term for term, and lays it out as <see cref="QuantizedRowLayout"/> says, a group at a time in vectors.
/// <para>A group's largest |x| is an exact i32 maximum of the bits (<see cref="RenderLargestMagnitude"/>). Its codes
/// are round(x · inverse) with one f32 multiply, as in the definition: vector <c>Round</c> rounds half to even like
/// <c>MathF.Round</c>, and vector <c>ConvertToInt32</c> saturates like the scalar cast, so even a NaN or infinite
/// inverse gives the same integers. Every 32 codes are narrowed (truncating, as the scalar <c>(sbyte)</c> cast) to 32
/// bytes whose low 16 go to xa and high 16 to xb: q4's codes 0..15 and 16..31 of a nibble block, or q8's even and odd
/// codes; a q8g16k group is half such a block.</para>
/// <para>Lane-ordered layouts (<see cref="QuantizedRowLayout.LaneOrdered"/>) order the whole blocks' scales and bias
/// terms as the kernel's lanes hold the groups; 8-bit ones (<see cref="QuantizedRowLayout.GroupLanes"/>) round the row in
/// natural order first, then transpose its whole blocks when the kernel transposes its weights.</para>
/// <para>A last partial group is rounded from a zero-padded copy: zeros leave the largest |x| as it is and round to
/// code 0, which is the padding the definition asks for past K.</para>
/// </summary>
public sealed class QuantizedRowPreparation(QuantizedRowLayout layout)
{
    // Codes narrowed together: 16 bytes of xa and 16 of xb, for q4 one nibble block.
    private const int Block = QuantFormat.NibbleBlock;

    private CpuDialect D => layout.Dialect;

    private string C => D.VectorClass;

    private int GroupSize => layout.Format.GroupSize;

    private int FullGroups => layout.K / GroupSize;

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Render(SourceWriter w)
    {
        RenderPrepareRow(w);
        RenderPrepareGroup(w);
    }

    private void RenderPrepareRow(SourceWriter w)
    {
        w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"static void PrepareRow(float* x, byte* prepared{(layout.GroupLanes ? ", bool transposed" : "")})"))
        {
            w.Line("sbyte* xa = (sbyte*)prepared, xb = xa + ActivationBytes;");
            w.Line($"float* xsg = (float*)(prepared + {Int(layout.ScaleOffset)}), bias = (float*)(prepared + {Int(layout.BiasOffset)});");
            if (layout.GroupLanes) RenderGroupLanesRow(w);
            else if (layout.NibbleBlocks) RenderInLaneOrder(w, "xa, xb");
            else RenderGroups(w, "xa, xb, xsg, bias");
            // xa and xb hold one byte per two codes (q4: those under low and under high nibbles; q8: even and odd codes).
            // q8g16k rows of an odd number of groups end half way through 16 bytes: 8 first, so xa's zeros stop at xb.
            var written = layout.Groups * GroupSize / 2;
            if (written % 16 != 0)
            {
                w.Line($"*(long*)(xa + {Int(written)}) = 0;");
                w.Line($"*(long*)(xb + {Int(written)}) = 0;");
            }
            using (w.Block($"for (int i = {Int((written + 15) / 16 * 16)}; i < ActivationBytes; i += 16)"))
            {
                w.Line("Vector128<sbyte>.Zero.Store(xa + i);");
                w.Line("Vector128<sbyte>.Zero.Store(xb + i);");
            }
            w.Line("Vector128<float>.Zero.Store(xsg + G);");
        }
    }

    /// <summary>
    /// Every group rounded by <c>PrepareGroup</c> with <paramref name="arguments"/> (its codes, scale and bias
    /// destinations), a last partial group from a zero-padded copy.
    /// </summary>
    private void RenderGroups(SourceWriter w, string arguments)
    {
        w.Line($"for (int g = 0; g < {Int(FullGroups)}; g++) PrepareGroup(x + g * GroupSize, g, {arguments});");
        var rest = layout.K % GroupSize;
        if (rest == 0) return;
        w.Line("float* last = stackalloc float[GroupSize];");
        w.Line($"for (int i = 0; i < GroupSize; i++) last[i] = i < {Int(rest)} ? x[{Int(FullGroups * GroupSize)} + i] : 0f;");
        w.Line($"PrepareGroup(last, {Int(FullGroups)}, {arguments});");
    }

    /// <summary>
    /// The row's codes rounded in natural order, then, when <c>transposed</c> (for a kernel that transposes the
    /// weights), its whole blocks transposed (<see cref="GroupLanesTransposition"/>), each vector split into xa (its
    /// even bytes: bytes 0 and 2 of every lane's four) and xb (its odd bytes); its scales and bias terms with the whole
    /// blocks' groups in lane order either way.
    /// </summary>
    private void RenderGroupLanesRow(SourceWriter w)
    {
        w.Line("byte* codes = stackalloc byte[G * GroupSize];");
        RenderInLaneOrder(w, "(sbyte*)codes, null");
        var blockBytes = Int(GroupLanesTransposition.BlockBytes(D));
        w.Line($"if (transposed) for (int o = 0; o < FullBlocks * {blockBytes}; o += {blockBytes}) TransposeBlock(codes + o, codes + o);");
        using (w.Block($"for (int o = 0; o < FullBlocks * {blockBytes}; o += {Int(D.ByteLanes)})"))
        {
            w.Line($"{C}<short> pairs = {C}.Load(codes + o).AsInt16();");
            w.Line($"{C}<sbyte> split = {C}.Narrow(pairs, {C}.ShiftRightLogical(pairs, 8)).AsSByte();");
            w.Line("split.GetLower().Store(xa + o / 2);");
            w.Line("split.GetUpper().Store(xb + o / 2);");
        }
        using (w.Block($"for (int o = FullBlocks * {blockBytes}; o < G * GroupSize; o += 32)"))
        {
            w.Line("Vector256<short> pairs = Vector256.Load(codes + o).AsInt16();");
            w.Line("Vector256<sbyte> split = Vector256.Narrow(pairs, Vector256.ShiftRightLogical(pairs, 8)).AsSByte();");
            w.Line("split.GetLower().Store(xa + o / 2);");
            w.Line("split.GetUpper().Store(xb + o / 2);");
        }
    }

    /// <summary>
    /// Every group rounded into <paramref name="codes"/> (the codes' destinations), its scales and bias terms into
    /// scratch, then put in the lane order of the whole blocks (<see cref="LaneOrderedScales"/>).
    /// </summary>
    private void RenderInLaneOrder(SourceWriter w, string codes)
    {
        // The lane ordering reads whole vectors: up to Lanes - 1 values past G, which land in padding no lane selects.
        w.Line($"float* scales = stackalloc float[G + {Int(D.Lanes)}], terms = stackalloc float[G + {Int(D.Lanes)}];");
        RenderGroups(w, $"{codes}, scales, terms");
        w.Line("InLaneOrder(scales, xsg);");
        w.Line("InLaneOrder(terms, bias);");
    }

    private void RenderPrepareGroup(SourceWriter w)
    {
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static void PrepareGroup(float* x, int g, sbyte* xa, sbyte* xb, float* xsg, float* bias)"))
        {
            RenderLargestMagnitude(w);
            w.Line("float inverse = max == 0f ? 0f : 127f / max;");
            w.Line($"{D.Vector} scale = {D.Splat("inverse")};");
            w.Line($"{C}<int> sum = {C}<int>.Zero;");
            if (GroupSize < Block) RenderHalfBlockGroup(w);
            else RenderBlocks(w);
            w.Line("float xs = max / 127f;");
            w.Line("xsg[g] = xs;");
            // The factor times the code sum is an exact integer in f32 (|·| < 2^24), so the term is rounded once.
            w.Line($"bias[g] = xs * (float)({Int(layout.OffsetFactor)} * {C}.Sum(sum));");
        }
    }

    /// <summary>A group of whole 32-code blocks, a block at a time.</summary>
    private void RenderBlocks(SourceWriter w)
    {
        using (w.Block($"for (int b = 0; b < GroupSize / {Int(Block)}; b++)"))
        {
            var vectors = Block / D.Lanes;
            RenderRoundedCodes(w, vectors, $"{Int(Block)} * b + ");
            for (var i = 0; i < vectors / 2; i++) w.Line($"{C}<short> s{i} = {C}.Narrow(c{2 * i}, c{2 * i + 1});");
            var halves = Enumerable.Range(0, vectors / 2).SelectMany(i => Halves256($"s{i}")).ToList();
            w.Line($"Vector256<sbyte> codes = Vector256.Narrow({halves[0]}, {halves[1]});");
            if (layout.GroupLanes)
            {
                // Natural order, 32 bytes a group: the row is transposed a block at a time once all are rounded.
                w.Line("codes.Store(xa + g * GroupSize);");
                return;
            }
            if (layout.Format.Bits == 8)
            {
                // Byte pairs as i16: the low byte is the even code, the high byte the odd one.
                w.Line("Vector256<short> pairs = codes.AsInt16();");
                w.Line("codes = Vector256.Narrow(pairs, Vector256.ShiftRightLogical(pairs, 8));");
            }
            w.Line($"int o = (g * (GroupSize / {Int(Block)}) + b) * 16;");
            w.Line("codes.GetLower().Store(xa + o);");
            w.Line("codes.GetUpper().Store(xb + o);");
        }
    }

    /// <summary>
    /// A group of 16 codes (q8g16k), half of what the block loop narrows at once: narrowed to 16 bytes through 256-bit
    /// pieces, split into its 8 even and 8 odd codes, stored at 8 bytes a group.
    /// </summary>
    private void RenderHalfBlockGroup(SourceWriter w)
    {
        if (layout.Format.Bits != 8) throw new ArgumentException($"{layout.Format.Name}: groups under {Block} codes are q8 only");
        var vectors = GroupSize / D.Lanes;
        RenderRoundedCodes(w, vectors, "");
        var pieces = vectors == 2 ? ("c0", "c1") : ("c0.GetLower()", "c0.GetUpper()");
        w.Line($"Vector256<short> shorts = Vector256.Narrow({pieces.Item1}, {pieces.Item2});");
        w.Line("Vector128<sbyte> codes = Vector128.Narrow(shorts.GetLower(), shorts.GetUpper());");
        w.Line("Vector128<short> pairs = codes.AsInt16();");
        w.Line("codes = Vector128.Narrow(pairs, Vector128.ShiftRightLogical(pairs, 8));");
        w.Line("*(long*)(xa + g * 8) = codes.AsInt64().GetElement(0);");
        w.Line("*(long*)(xb + g * 8) = codes.AsInt64().GetElement(1);");
    }

    /// <summary>Declares <c>c0</c>.. as the i32 codes of <paramref name="vectors"/> vectors of x from <c>x + start</c>, and adds them to <c>sum</c>.</summary>
    private void RenderRoundedCodes(SourceWriter w, int vectors, string start)
    {
        for (var i = 0; i < vectors; i++)
            w.Line($"{C}<int> c{i} = {C}.ConvertToInt32({C}.Round({D.Load($"x + {start}{Int(i * D.Lanes)}")} * scale));");
        w.Line($"sum += {string.Join(" + ", Enumerable.Range(0, vectors).Select(i => $"c{i}"))};");
    }

    /// <summary>
    /// Declares <c>max</c>, the group's largest |x|, as the largest bit pattern of the |x|: with the sign cleared, f32
    /// values order as their bits do as i32, and NaNs lie above infinity, so this is exactly the f32 maximum and NaN
    /// when any |x| is, as <c>MathF.Max</c> gives, while an i32 max is one cheap instruction. A pairwise tree of
    /// vector maxima, then <see cref="LaneMaximum"/>.
    /// </summary>
    private void RenderLargestMagnitude(SourceWriter w)
    {
        var terms = Enumerable.Range(0, GroupSize / D.Lanes).Select(i => $"{C}.Abs({D.Load($"x + {Int(i * D.Lanes)}")}).AsInt32()").ToList();
        while (terms.Count > 1) terms = [.. terms.Chunk(2).Select(p => $"{C}.Max({p[0]}, {p[1]})")];
        w.Line($"{C}<int> magnitudes = {terms[0]};");
        w.Line($"float max = BitConverter.Int32BitsToSingle({LaneMaximum.Render(w, "int", D.Lanes * 32, "magnitudes")}.ToScalar());");
    }

    /// <summary>A vector of i16 codes as 256-bit pieces, in order.</summary>
    private IEnumerable<string> Halves256(string shorts) =>
        D.Lanes == 8 ? [shorts] : [$"{shorts}.GetLower()", $"{shorts}.GetUpper()"];
}
