using System.Globalization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>Dot(rows, codes, scales, offsets, x, result)</c>: one weight column against 1..<see cref="MaxRows"/> prepared
/// activation rows (<see cref="QuantizedRowLayout"/>), so each chunk of codes is loaded and unpacked once for all of
/// them. Per chunk and row: the exact i32 dot product of each lane's four code bytes, converted to f32 and multiplied
/// by the lane's weight scale times activation scale, into an f32 accumulator; then one vector dot of the column's
/// offsets (the symmetric schemes pass their scales; the prepared bias carries −zero code) with the row's bias terms,
/// and one horizontal sum. A last partial chunk loads its codes zero-extended from 16-byte pieces, so nothing past the
/// row is read and its padding lanes multiply 0 by finite scales.
/// </summary>
public sealed class QuantizedRowsDot(QuantizedRowLayout layout)
{
    /// <summary>Rows dotted per pass over a column.</summary>
    public const int MaxRows = 4;

    // How far ahead of its loads the chunk loop asks for code bytes. Measured on Zen 4 (2 cores, weights streaming
    // from DRAM): the K = 8192 down projection ran 10 % (q4) and 28 % (q8) faster with it, K = 2048 shapes 0-4 %.
    private const int PrefetchBytes = 1024;

    private CpuDialect D => layout.Dialect;

    private string C => D.VectorClass;

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Render(SourceWriter w)
    {
        for (var rows = 1; rows <= MaxRows; rows++) RenderDot(w, rows);
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static void Dot(int rows, byte* codes, float* scales, float* offsets, byte* x, float* result)"))
        using (w.Block("switch (rows)"))
        {
            for (var rows = 1; rows < MaxRows; rows++) w.Line($"case {Int(rows)}: Dot{Int(rows)}(codes, scales, offsets, x, result); return;");
            w.Line($"default: Dot{Int(MaxRows)}(codes, scales, offsets, x, result); return;");
        }
    }

    private void RenderDot(SourceWriter w, int rows)
    {
        var all = Enumerable.Range(0, rows).ToList();
        w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"static void Dot{Int(rows)}(byte* codes, float* scales, float* offsets, byte* x, float* result)"))
        {
            foreach (var r in all)
            {
                w.Line($"byte* x{r} = x + {Int(r)} * PreparedBytes;");
                w.Line($"{D.Vector} acc{r} = {D.Zero};");
            }
            DeclareConstants(w);
            using (w.Block("for (int j = 0; j < FullChunks; j++)"))
            {
                // A hint never faults, so it may run past the weights; the next column's codes follow this one's.
                w.Line($"Sse.Prefetch0(codes + j * ChunkBytes + {Int(PrefetchBytes)});");
                RenderChunk(w, all, $"{C}.Load(codes + j * ChunkBytes)", tail: false);
            }
            if (layout.TailBytes > 0)
                using (w.Block(""))
                {
                    w.Line("const int j = FullChunks;");
                    RenderChunk(w, all, TailCodes(), tail: true);
                }
            RenderOffsets(w, all);
        }
    }

    private void DeclareConstants(SourceWriter w)
    {
        if (layout.Format.Bits == 4)
        {
            w.Line($"{C}<byte> nibble = {C}.Create((byte)0x0F);");
            w.Line($"{C}<short> ones = {C}.Create((short)1);");
        }
        else
        {
            w.Line($"{C}<short> lowByte = {C}.Create((short)0xFF);");
        }
        if (layout.GroupsPerChunk > 1) w.Line($"{C}<int> lanes = {LaneIndex(layout.GroupsPerChunk)};");
        if (layout.TailBytes > 0 && TailGroups > 1) w.Line($"{C}<int> tailLanes = {LaneIndex(TailGroups)};");
    }

    /// <summary>The constant lane → group index within a chunk, clamped to the first <paramref name="groups"/>.</summary>
    private string LaneIndex(int groups) =>
        $"{C}.Create({string.Join(", ", Enumerable.Range(0, D.Lanes).Select(l => Int(Math.Min(groups - 1, layout.LaneGroup(l)))))})";

    private int TailGroups => layout.TailBytes / layout.GroupBytes;

    /// <summary>
    /// Weight scale times row <paramref name="rowScales"/>' activation scale for each lane of chunk j (of the tail
    /// chunk with <paramref name="tail"/>). Spanning several groups, the chunk's scales are multiplied as 128-bit
    /// pieces (at most four are used; the last column's extra floats are the following plane or codes, still inside
    /// the weight tensor, the row's are padding, and no lane selects them) and permuted to lanes.
    /// </summary>
    private string ChunkScales(string rowScales, bool tail)
    {
        var groups = tail ? TailGroups : layout.GroupsPerChunk;
        var chunksPerGroup = layout.GroupBytes / layout.ChunkBytes;
        var first = tail ? $"FullChunks * {Int(layout.GroupsPerChunk)}"
            : layout.GroupsPerChunk > 1 ? $"j * {Int(layout.GroupsPerChunk)}"
            : chunksPerGroup == 1 ? "j" : $"j / {Int(chunksPerGroup)}";
        if (groups == 1) return D.Splat($"scales[{first}] * {rowScales}[{first}]");
        return $"{D.PermuteLanes}((Vector128.Load(scales + {first}) * Vector128.Load({rowScales} + {first})){Widen128}, {(tail ? "tailLanes" : "lanes")})";
    }

    /// <summary>Reinterprets a 128-bit value as the low part of a full vector (no instruction; the upper lanes are never selected).</summary>
    private string Widen128 => C == "Vector512" ? ".ToVector256Unsafe().ToVector512Unsafe()" : ".ToVector256Unsafe()";

    /// <summary>The tail's code bytes, zero-extended to a vector from 16-byte loads.</summary>
    private string TailCodes()
    {
        var pieces = Enumerable.Range(0, layout.ChunkBytes / 16)
            .Select(i => i < layout.TailBytes / 16 ? $"Vector128.Load(codes + FullChunks * ChunkBytes + {Int(16 * i)})" : "Vector128<byte>.Zero")
            .ToList();
        while (pieces.Count > 1)
        {
            pieces = [.. pieces.Chunk(2).Select(p => $"{WidthAfterPairing(pieces.Count)}.Create({p[0]}, {p[1]})")];
        }
        return pieces[0];
    }

    /// <summary>The vector class made by pairing <paramref name="count"/> pieces of a chunk.</summary>
    private string WidthAfterPairing(int count) => $"Vector{Int(layout.ChunkBytes * 8 * 2 / count)}";

    private void RenderChunk(SourceWriter w, List<int> rows, string codes, bool tail)
    {
        w.Line($"int o = j * ChunkBytes;");
        var maa = D.MultiplyAddAdjacent;
        if (layout.Format.Bits == 4)
        {
            w.Line($"{C}<byte> b = {codes};");
            w.Line("var lo = b & nibble;");
            w.Line($"var hi = {C}.ShiftRightLogical(b.AsUInt16(), 4).AsByte() & nibble;");
        }
        else
        {
            w.Line($"{C}<short> b = {codes}.AsInt16();");
            w.Line("var lo = b & lowByte;");
            w.Line($"var hi = {C}.ShiftRightLogical(b, 8);");
        }
        foreach (var r in rows)
        {
            var (xa, xb) = layout.Format.Bits == 4
                ? ($"{C}.Load((sbyte*)(x{r} + o))", $"{C}.Load((sbyte*)(x{r} + ActivationBytes + o))")
                : ($"{D.WidenBytes}({D.HalfClass}.Load((sbyte*)(x{r} + o / 2)))", $"{D.WidenBytes}({D.HalfClass}.Load((sbyte*)(x{r} + ActivationBytes + o / 2)))");
            // 4-bit: i16 pair sums of both halves reach at most 2·2·15·127 = 7620, so pmaddubsw cannot saturate.
            // 8-bit: codes and activations as i16, pmaddwd exact. The VNNI guard is a JIT-time constant.
            var product = layout.Format.Bits == 4
                ? $"{maa}({maa}(lo, {xa}) + {maa}(hi, {xb}), ones)"
                : $"{maa}(lo, {xa}) + {maa}(hi, {xb})";
            if (layout.Format.Bits == 4 && D.ByteDotClass is { } vnni)
                product = $"{vnni}.IsSupported ? {vnni}.MultiplyWideningAndAdd({vnni}.MultiplyWideningAndAdd({C}<int>.Zero, lo, {xa}), hi, {xb}) : {product}";
            w.Line($"{C}<int> dot{r} = {product};");
            w.Line($"acc{r} = {D.Fma($"{C}.ConvertToSingle(dot{r})", ChunkScales($"((float*)(x{r} + {Int(layout.ScaleOffset)}))", tail), $"acc{r}")};");
        }
    }

    private void RenderOffsets(SourceWriter w, List<int> rows)
    {
        string Bias(int r) => $"((float*)(x{r} + {Int(layout.BiasOffset)}))";
        if (layout.Groups >= D.Lanes)
            using (w.Block($"for (int g = 0; g + {Int(D.Lanes)} <= G; g += {Int(D.Lanes)})"))
            {
                w.Line($"{D.Vector} offset = {D.Load("offsets + g")};");
                foreach (var r in rows) w.Line($"acc{r} = {D.Fma("offset", D.Load($"{Bias(r)} + g"), $"acc{r}")};");
            }
        var rest = layout.Groups % D.Lanes != 0;
        foreach (var r in rows)
        {
            if (!rest)
            {
                w.Line($"result[{r}] = {D.Sum($"acc{r}")};");
                continue;
            }
            w.Line($"float rest{r} = 0f;");
            w.Line($"for (int g = G / {Int(D.Lanes)} * {Int(D.Lanes)}; g < G; g++) rest{r} = MathF.FusedMultiplyAdd(offsets[g], {Bias(r)}[g], rest{r});");
            w.Line($"result[{r}] = {D.Sum($"acc{r}")} + rest{r};");
        }
    }
}
