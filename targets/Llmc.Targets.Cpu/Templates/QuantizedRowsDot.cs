using System.Globalization;
using Llmc.Ir.Quantization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>Dot(rows, codes, scales, offsets, x, result)</c>: one weight column against 1..<see cref="MaxRows"/> prepared
/// activation rows (<see cref="QuantizedRowLayout"/>), so each chunk of codes is loaded and unpacked once for all of
/// them; <c>DotPair(rows, codesA, scalesA, offsetsA, codesB, scalesB, offsetsB, x, resultA, resultB)</c> does the same
/// for two columns at once, so each chunk of activation codes is loaded once for both (a 2 × rows register tile, the
/// inner block of prefill's GEMM). Per chunk, row and column: the exact i32 dot product of each lane's four code
/// bytes, converted to f32 and multiplied by the lane's weight scale times activation scale, into an f32 accumulator;
/// then one vector dot of the column's offsets (the symmetric schemes pass their scales; the prepared bias carries
/// −zero code) with the row's bias terms, and the lanes summed (<see cref="LaneTotals"/>: a tile's totals in one
/// tree). Every (row, column) product takes the same operations in the same order in every variant, so a row's result
/// does not depend on which rows or columns share its pass. A last partial chunk loads its codes zero-extended from
/// 16-byte pieces, so nothing past the row is read and its padding lanes multiply 0 by finite scales. Lane-ordered
/// layouts (<see cref="QuantizedRowLayout.GroupLanes"/>) take their whole blocks first, a group per lane, from
/// transposed columns, and <c>DotNatural</c> does the same for one row and column in natural order (decode), to the
/// same bits; nibble codes in groups of 32 (<see cref="QuantizedRowLayout.NibbleBlocks"/>) take their whole blocks in
/// natural order in every variant, a group's products added across the block's chunks (<see cref="NibbleBlockSums"/>).
/// </summary>
public sealed class QuantizedRowsDot(QuantizedRowLayout layout)
{
    /// <summary>Rows dotted per pass over a column.</summary>
    public const int MaxRows = 4;

    // How far ahead of its loads the chunk loop asks for code bytes. Measured on Zen 4 (2 cores, weights streaming
    // from DRAM): the K = 8192 down projection ran 10 % (q4) and 28 % (q8) faster with it, K = 2048 shapes 0-4 %.
    // On Zen 5, 4 KB ahead rather than 1 KB: Llama-3.2-1B config q4 decode 1.03-1.18x (six rounds alternated; 2 KB and
    // 8 KB slower than 4 KB, asking for L2 only slower than L1), q8 0.94-1.13x, prefill level.
    private const int PrefetchBytes = 4096;

    private CpuDialect D => layout.Dialect;

    private string C => D.VectorClass;

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Render(SourceWriter w)
    {
        foreach (var columns in new[] { 1, 2 })
            for (var rows = 1; rows <= MaxRows; rows++) RenderDot(w, rows, columns);
        RenderDispatch(w, columns: 1);
        RenderDispatch(w, columns: 2);
        if (layout.GroupLanes) RenderDot(w, rows: 1, columns: 1, natural: true);
    }

    private static readonly string[] ColumnNames = ["A", "B"];

    /// <summary>The suffix of column <paramref name="column"/>'s parameters in a variant of <paramref name="columns"/> columns.</summary>
    private static string Suffix(int column, int columns) => columns == 1 ? "" : ColumnNames[column];

    private static string Parameters(int columns) =>
        string.Join(", ", Enumerable.Range(0, columns).Select(c => $"byte* codes{Suffix(c, columns)}, float* scales{Suffix(c, columns)}, float* offsets{Suffix(c, columns)}"))
        + ", byte* x, "
        + string.Join(", ", Enumerable.Range(0, columns).Select(c => $"float* result{Suffix(c, columns)}"));

    private static string Arguments(int columns) =>
        string.Join(", ", Enumerable.Range(0, columns).Select(c => $"codes{Suffix(c, columns)}, scales{Suffix(c, columns)}, offsets{Suffix(c, columns)}"))
        + ", x, "
        + string.Join(", ", Enumerable.Range(0, columns).Select(c => $"result{Suffix(c, columns)}"));

    private static string DispatchName(int columns) => columns == 1 ? "Dot" : "DotPair";

    private static string VariantName(int rows, int columns) => DispatchName(columns) + Int(rows);

    /// <summary><c>Dot(rows, ...)</c> or <c>DotPair(rows, ...)</c>: the variant for 1..<see cref="MaxRows"/> rows.</summary>
    private static void RenderDispatch(SourceWriter w, int columns)
    {
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static void {DispatchName(columns)}(int rows, {Parameters(columns)})"))
        using (w.Block("switch (rows)"))
        {
            for (var rows = 1; rows < MaxRows; rows++) w.Line($"case {Int(rows)}: {VariantName(rows, columns)}({Arguments(columns)}); return;");
            w.Line($"default: {VariantName(MaxRows, columns)}({Arguments(columns)}); return;");
        }
    }

    /// <param name="natural">
    /// <c>DotNatural</c>, one row and column whose codes are in natural order, for lane-ordered layouts: each whole
    /// block's chunk dot products summed per group in registers (<c>GroupSums</c>), to the same lanes and integers as
    /// the transposed variants, so decode gets the same result bit for bit without transposing its weights.
    /// </param>
    private void RenderDot(SourceWriter w, int rows, int columns, bool natural = false)
    {
        var all = Enumerable.Range(0, rows).ToList();
        var tile = Enumerable.Range(0, columns).Select(c => Suffix(c, columns)).ToList();
        w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (w.Block($"static void {(natural ? "DotNatural" : VariantName(rows, columns))}({Parameters(columns)})"))
        {
            foreach (var r in all)
            {
                w.Line($"byte* x{r} = x + {Int(r)} * PreparedBytes;");
                foreach (var c in tile) w.Line($"{D.Vector} acc{c}{r} = {D.Zero};");
            }
            DeclareConstants(w);
            if (natural) RenderNaturalBlocks(w);
            else if (layout.GroupLanes) RenderBlocks(w, all, tile);
            else if (layout.NibbleBlocks) RenderNibbleBlocks(w, all, tile);
            using (w.Block($"for (int j = {Int(layout.FirstChunk)}; j < FullChunks; j++)"))
            {
                // A hint never faults, so it may run past the weights; the next column's codes follow this one's.
                foreach (var c in tile) w.Line($"Sse.Prefetch0(codes{c} + j * ChunkBytes + {Int(PrefetchBytes)});");
                RenderChunk(w, all, tile, c => $"{C}.Load(codes{c} + j * ChunkBytes)", tail: false);
            }
            if (layout.TailBytes > 0)
                using (w.Block(""))
                {
                    w.Line("const int j = FullChunks;");
                    RenderChunk(w, all, tile, TailCodes, tail: true);
                }
            foreach (var c in tile) RenderOffsets(w, all, c);
            RenderResults(w, all, tile);
        }
    }

    private void DeclareConstants(SourceWriter w)
    {
        if (layout.Format.HasNibbles)
        {
            w.Line($"{C}<byte> nibble = {C}.Create((byte)0x0F);");
            w.Line($"{C}<short> ones = {C}.Create((short)1);");
        }
        else
        {
            w.Line($"{C}<short> lowByte = {C}.Create((short)0xFF);");
        }
        if (layout.Format.Bits == 6)
        {
            w.Line("Vector128<byte> highNibble = Vector128.Create((byte)0x0F);");
            w.Line($"{C}<byte> lowCodeBits = {C}.Create((byte)0x03), highCodeBits = {C}.Create((byte)0x0C);");
        }
        if (layout.GroupsPerChunk > 1) w.Line($"{C}<int> lanes = {LaneIndex(layout.GroupsPerChunk)};");
        if (layout.TailBytes > 0 && TailGroups > 1) w.Line($"{C}<int> tailLanes = {LaneIndex(TailGroups)};");
    }

    /// <summary>The constant lane → group index within a chunk, clamped to the first <paramref name="groups"/>.</summary>
    private string LaneIndex(int groups) =>
        $"{C}.Create({string.Join(", ", Enumerable.Range(0, D.Lanes).Select(l => Int(Math.Min(groups - 1, layout.LaneGroup(l)))))})";

    private int TailGroups => layout.TailBytes / layout.GroupBytes;

    /// <summary>
    /// The group scale under each lane of chunk j (of the tail chunk with <paramref name="tail"/>) from the per-group
    /// scales at <paramref name="scales"/>, a column's or a prepared row's. Spanning several groups, the chunk's scales
    /// are loaded as a 128-bit piece (at most four are used; past a column's last group the floats are the following
    /// plane or codes, still inside the weight tensor, past a row's they are padding, and no lane selects them) and
    /// permuted to lanes. A weight lane's times a row lane's is exactly the scale product of that lane's group.
    /// </summary>
    private string LaneScales(string scales, bool tail)
    {
        var (groups, first) = ChunkGroups(tail);
        if (groups == 1) return D.Splat($"{scales}[{first}]");
        return $"{D.PermuteLanes}(Vector128.Load({scales} + {first}){Widen128}, {(tail ? "tailLanes" : "lanes")})";
    }

    /// <summary>
    /// The lanes of <see cref="LaneScales"/> of <paramref name="scales"/> times those of <paramref name="rowScales"/>,
    /// multiplied per group before they are permuted (one permute, not two).
    /// </summary>
    private string ProductScales(string scales, string rowScales, bool tail)
    {
        var (groups, first) = ChunkGroups(tail);
        if (groups == 1) return D.Splat($"{scales}[{first}] * {rowScales}[{first}]");
        return $"{D.PermuteLanes}((Vector128.Load({scales} + {first}) * Vector128.Load({rowScales} + {first})){Widen128}, {(tail ? "tailLanes" : "lanes")})";
    }

    /// <summary>How many groups chunk j (the tail chunk with <paramref name="tail"/>) spans, and the first one's index.</summary>
    private (int Groups, string First) ChunkGroups(bool tail)
    {
        var chunksPerGroup = layout.GroupBytes / layout.ChunkBytes;
        var first = tail ? $"FullChunks * {Int(layout.GroupsPerChunk)}"
            : layout.GroupsPerChunk > 1 ? $"j * {Int(layout.GroupsPerChunk)}"
            : chunksPerGroup == 1 ? "j" : $"j / {Int(chunksPerGroup)}";
        return (tail ? TailGroups : layout.GroupsPerChunk, first);
    }

    /// <summary>Reinterprets a 128-bit value as the low part of a full vector (no instruction; the upper lanes are never selected).</summary>
    private string Widen128 => C == "Vector512" ? ".ToVector256Unsafe().ToVector512Unsafe()" : ".ToVector256Unsafe()";

    /// <summary>The tail's code bytes of <paramref name="column"/>, zero-extended to a vector from 16-byte loads.</summary>
    private string TailCodes(string column)
    {
        var pieces = Enumerable.Range(0, layout.ChunkBytes / 16)
            .Select(i => i < layout.TailBytes / 16 ? $"Vector128.Load(codes{column} + FullChunks * ChunkBytes + {Int(16 * i)})" : "Vector128<byte>.Zero")
            .ToList();
        while (pieces.Count > 1)
        {
            pieces = [.. pieces.Chunk(2).Select(p => $"{WidthAfterPairing(pieces.Count)}.Create({p[0]}, {p[1]})")];
        }
        return pieces[0];
    }

    /// <summary>The vector class made by pairing <paramref name="count"/> pieces of a chunk.</summary>
    private string WidthAfterPairing(int count) => $"Vector{Int(layout.ChunkBytes * 8 * 2 / count)}";

    private void RenderChunk(SourceWriter w, List<int> rows, List<string> tile, Func<string, string> codes, bool tail)
    {
        w.Line($"int o = j * ChunkBytes;");
        RenderColumnCodes(w, tile, codes, tail);
        // A tile of more than one product takes each column's lane scales and each row's once and multiplies them per
        // product; a single product (decode) multiplies the groups' scales first and permutes once, the same values.
        var single = tile.Count == 1 && rows.Count == 1;
        if (!single) foreach (var c in tile) w.Line($"{D.Vector} ws{c} = {LaneScales($"scales{c}", tail)};");
        foreach (var r in rows)
        {
            if (!single) w.Line($"{D.Vector} xs{r} = {LaneScales(RowScales(r), tail)};");
            RenderRowCodes(w, r, "o");
            foreach (var c in tile)
            {
                var product = layout.Format.HasNibbles ? $"{D.MultiplyAddAdjacent}({PairProducts(c, r)}, ones)" : PairProducts(c, r);
                // The VNNI guard is a JIT-time constant; it sums the same products to the same integers.
                if (layout.Format.HasNibbles && D.ByteDotClass is { } vnni)
                    product = $"{vnni}.IsSupported ? {vnni}.MultiplyWideningAndAdd({vnni}.MultiplyWideningAndAdd({C}<int>.Zero, lo{c}, xa{r}), hi{c}, xb{r}) : {product}";
                w.Line($"{C}<int> dot{c}{r} = {product};");
                w.Line($"acc{c}{r} = {D.Fma($"{C}.ConvertToSingle(dot{c}{r})", single ? ProductScales($"scales{c}", RowScales(r), tail) : $"ws{c} * xs{r}", $"acc{c}{r}")};");
            }
        }
    }

    private string RowScales(int r) => $"((float*)(x{r} + {Int(layout.ScaleOffset)}))";

    /// <summary>Declares <c>lo</c> and <c>hi</c> of each column of the tile: the codes of a chunk split for the two pair products.</summary>
    private void RenderColumnCodes(SourceWriter w, List<string> tile, Func<string, string> codes, bool tail)
    {
        foreach (var c in tile)
        {
            if (layout.Format.HasNibbles)
            {
                w.Line($"{C}<byte> b{c} = {codes(c)};");
                w.Line($"var lo{c} = b{c} & nibble;");
                w.Line($"var hi{c} = {C}.ShiftRightLogical(b{c}.AsUInt16(), 4).AsByte() & nibble;");
                if (layout.Format.Bits == 6) RenderHighBits(w, c, tail);
            }
            else
            {
                w.Line($"{C}<short> b{c} = {codes(c)}.AsInt16();");
                w.Line($"var lo{c} = b{c} & lowByte;");
                w.Line($"var hi{c} = {C}.ShiftRightLogical(b{c}, 8);");
            }
        }
    }

    /// <summary>Declares <c>xa</c> and <c>xb</c> of row <paramref name="r"/>: its activation codes of the chunk at byte <paramref name="offset"/>.</summary>
    private void RenderRowCodes(SourceWriter w, int r, string offset)
    {
        var (xa, xb) = layout.Format.HasNibbles
            ? ($"{C}.Load((sbyte*)(x{r} + {offset}))", $"{C}.Load((sbyte*)(x{r} + ActivationBytes + {offset}))")
            : ($"{D.WidenBytes}({D.HalfClass}.Load((sbyte*)(x{r} + {offset} / 2)))", $"{D.WidenBytes}({D.HalfClass}.Load((sbyte*)(x{r} + ActivationBytes + {offset} / 2)))");
        w.Line($"var xa{r} = {xa};");
        w.Line($"var xb{r} = {xb};");
    }

    /// <summary>
    /// Column <paramref name="c"/>'s codes against row <paramref name="r"/>'s, as the sums of adjacent products: i16
    /// pairs for nibbles (4-bit: at most 2·2·15·128 = 7680, 6-bit: 2·2·63·128 = 32256, so pmaddubsw cannot saturate and
    /// the sum does not wrap), i32 for 8-bit codes (codes and activations as i16, pmaddwd exact).
    /// </summary>
    private string PairProducts(string c, int r)
    {
        var maa = D.MultiplyAddAdjacent;
        return $"{maa}(lo{c}, xa{r}) + {maa}(hi{c}, xb{r})";
    }

    /// <summary>
    /// The loop over the whole blocks of <see cref="QuantizedRowLayout.NibbleBlocks"/> codes, in natural order: per
    /// chunk and (row, column) the pair products, added per group across the block's chunks (<see cref="NibbleBlockSums"/>),
    /// then per block one conversion and one fused multiply-add by the lanes' weight scale times activation scale, both
    /// in the lane order of the sums.
    /// </summary>
    private void RenderNibbleBlocks(SourceWriter w, List<int> rows, List<string> tile)
    {
        var sums = new NibbleBlockSums(layout);
        var products = tile.SelectMany(c => rows.Select(r => (c, r))).ToList();
        var chunks = layout.BlockChunks;
        using (w.Block("for (int block = 0; block < FullBlocks; block++)"))
        {
            for (var k = 0; k < chunks; k++)
            {
                w.Line($"{sums.PartType} {string.Join(", ", products.Select(p => $"s{k}{p.c}{p.r}"))};");
                using (w.Block(""))
                {
                    w.Line($"int j = block * {Int(chunks)} + {Int(k)};");
                    foreach (var c in tile) w.Line($"Sse.Prefetch0(codes{c} + j * ChunkBytes + {Int(PrefetchBytes)});");
                    RenderColumnCodes(w, tile, c => $"{C}.Load(codes{c} + j * ChunkBytes)", tail: false);
                    foreach (var r in rows)
                    {
                        RenderRowCodes(w, r, "j * ChunkBytes");
                        foreach (var c in tile)
                            w.Line($"s{k}{c}{r} = {(sums.AddsPairs ? PairProducts(c, r) : $"{D.MultiplyAddAdjacent}({PairProducts(c, r)}, ones)")};");
                    }
                }
                // Pairs of chunks are added as soon as both are in, so fewer products stay live in registers.
                if (k % 2 == 1)
                    foreach (var (c, r) in products) w.Line($"{sums.PartType} p{k / 2}{c}{r} = PairSums(s{k - 1}{c}{r}, s{k}{c}{r});");
            }
            foreach (var c in tile) w.Line($"{D.Vector} ws{c} = {D.Load($"scales{c} + block * {Int(D.Lanes)}")};");
            foreach (var r in rows)
            {
                w.Line($"{D.Vector} xs{r} = {D.Load($"{RowScales(r)} + block * {Int(D.Lanes)}")};");
                foreach (var c in tile)
                    w.Line($"acc{c}{r} = {D.Fma($"{C}.ConvertToSingle(BlockSums(p0{c}{r}, p1{c}{r}))", $"ws{c} * xs{r}", $"acc{c}{r}")};");
            }
        }
    }

    /// <summary>
    /// The loop over the whole blocks of <see cref="QuantizedRowLayout.GroupLanes"/> codes, whose columns arrive
    /// transposed (<see cref="GroupLanesTransposition"/>) with those blocks' scales in lane order (the chunk loop takes the
    /// groups after them): per block and (row, column) an i32
    /// accumulator takes every piece's two pmaddwd (the lane's group's exact dot product, its 32 products summed in
    /// integers), then one conversion and one fused multiply-add by the lane's weight scale times activation scale.
    /// </summary>
    private void RenderBlocks(SourceWriter w, List<int> rows, List<string> tile)
    {
        var maa = D.MultiplyAddAdjacent;
        var blockBytes = Int(GroupLanesTransposition.BlockBytes(D));
        using (w.Block("for (int block = 0; block < FullBlocks; block++)"))
        {
            foreach (var c in tile)
                foreach (var r in rows) w.Line($"{C}<int> sum{c}{r} = {C}<int>.Zero;");
            using (w.Block($"for (int o = block * {blockBytes}; o < (block + 1) * {blockBytes}; o += {Int(D.ByteLanes)})"))
            {
                foreach (var c in tile)
                {
                    w.Line($"{C}<short> b{c} = {C}.Load(codes{c} + o).AsInt16();");
                    w.Line($"var lo{c} = b{c} & lowByte;");
                    w.Line($"var hi{c} = {C}.ShiftRightLogical(b{c}, 8);");
                }
                foreach (var r in rows)
                {
                    w.Line($"var xa{r} = {D.WidenBytes}({D.HalfClass}.Load((sbyte*)(x{r} + o / 2)));");
                    w.Line($"var xb{r} = {D.WidenBytes}({D.HalfClass}.Load((sbyte*)(x{r} + ActivationBytes + o / 2)));");
                    foreach (var c in tile) w.Line($"sum{c}{r} += {maa}(lo{c}, xa{r}) + {maa}(hi{c}, xb{r});");
                }
            }
            foreach (var c in tile) w.Line($"{D.Vector} ws{c} = {D.Load($"scales{c} + block * {Int(D.Lanes)}")};");
            foreach (var r in rows)
            {
                w.Line($"{D.Vector} xs{r} = {D.Load($"(float*)(x{r} + {Int(layout.ScaleOffset)}) + block * {Int(D.Lanes)}")};");
                foreach (var c in tile) w.Line($"acc{c}{r} = {D.Fma($"{C}.ConvertToSingle(sum{c}{r})", $"ws{c} * xs{r}", $"acc{c}{r}")};");
            }
        }
    }

    /// <summary>
    /// <c>DotNatural</c>'s loop over the whole blocks (see <see cref="RenderDot"/>): per chunk the two pmaddwd of the
    /// chunk loop, without its conversion; per block one <c>GroupSums</c>, conversion and fused multiply-add.
    /// </summary>
    private void RenderNaturalBlocks(SourceWriter w)
    {
        var maa = D.MultiplyAddAdjacent;
        var pieces = GroupLanesTransposition.Pieces;
        using (w.Block("for (int block = 0; block < FullBlocks; block++)"))
        {
            for (var k = 0; k < pieces; k++)
            {
                w.Line($"int o{k} = (block * {Int(pieces)} + {Int(k)}) * ChunkBytes;");
                w.Line($"Sse.Prefetch0(codes + o{k} + {Int(PrefetchBytes)});");
                w.Line($"{C}<short> b{k} = {C}.Load(codes + o{k}).AsInt16();");
                w.Line($"{C}<int> d{k} = {maa}(b{k} & lowByte, {D.WidenBytes}({D.HalfClass}.Load((sbyte*)(x0 + o{k} / 2))))"
                    + $" + {maa}({C}.ShiftRightLogical(b{k}, 8), {D.WidenBytes}({D.HalfClass}.Load((sbyte*)(x0 + ActivationBytes + o{k} / 2))));");
            }
            w.Line($"{C}<int> sum = GroupSums({string.Join(", ", Enumerable.Range(0, pieces).Select(k => $"d{k}"))});");
            w.Line($"{D.Vector} ws = {D.Load($"scales + block * {Int(D.Lanes)}")};");
            w.Line($"{D.Vector} xs = {D.Load($"(float*)(x0 + {Int(layout.ScaleOffset)}) + block * {Int(D.Lanes)}")};");
            w.Line($"acc0 = {D.Fma($"{C}.ConvertToSingle(sum)", "ws * xs", "acc0")};");
        }
    }

    /// <summary>
    /// Joins q6's high bits to the nibbles of column <paramref name="c"/>'s chunk j: its 16 high bytes per 32 nibble
    /// bytes (a unit) are split into their low 4 bits (for the unit's first 16 nibble bytes) and high 4 bits (its last
    /// 16), 16-byte pieces in nibble order; of each byte's 4 bits, bits 0-1 go above its low nibble's code and bits
    /// 2-3 above its high nibble's. A tail chunk's units past the row are zero, as its nibbles are.
    /// </summary>
    private void RenderHighBits(SourceWriter w, string c, bool tail)
    {
        const int unit = QuantFormat.HighBitsUnit;
        var units = tail ? (layout.TailBytes + unit - 1) / unit : layout.ChunkBytes / unit;
        var pieces = new List<string>();
        for (var u = 0; u < layout.ChunkBytes / unit; u++)
        {
            if (u >= units)
            {
                pieces.AddRange(["Vector128<byte>.Zero", "Vector128<byte>.Zero"]);
                continue;
            }
            w.Line($"Vector128<byte> h{c}{Int(u)} = Vector128.Load(codes{c} + {Int(layout.HighBitsOffset)} + j * {Int(layout.ChunkBytes / 2)} + {Int(u * unit / 2)});");
            pieces.Add($"(h{c}{Int(u)} & highNibble)");
            pieces.Add($"(Vector128.ShiftRightLogical(h{c}{Int(u)}.AsUInt16(), 4).AsByte() & highNibble)");
        }
        while (pieces.Count > 1) pieces = [.. pieces.Chunk(2).Select(p => $"{WidthAfterPairing(pieces.Count)}.Create({p[0]}, {p[1]})")];
        w.Line($"{C}<byte> high{c} = {pieces[0]};");
        w.Line($"lo{c} |= {C}.ShiftLeft((high{c} & lowCodeBits).AsUInt16(), 4).AsByte();");
        w.Line($"hi{c} |= {C}.ShiftLeft((high{c} & highCodeBits).AsUInt16(), 2).AsByte();");
    }

    private void RenderOffsets(SourceWriter w, List<int> rows, string c)
    {
        string Bias(int r) => $"((float*)(x{r} + {Int(layout.BiasOffset)}))";
        if (layout.Groups >= D.Lanes)
            using (w.Block($"for (int g = 0; g + {Int(D.Lanes)} <= G; g += {Int(D.Lanes)})"))
            {
                w.Line($"{D.Vector} offset = {D.Load($"offsets{c} + g")};");
                foreach (var r in rows) w.Line($"acc{c}{r} = {D.Fma("offset", D.Load($"{Bias(r)} + g"), $"acc{c}{r}")};");
            }
        if (!HasRest) return;
        foreach (var r in rows)
        {
            w.Line($"float rest{c}{r} = 0f;");
            w.Line($"for (int g = G / {Int(D.Lanes)} * {Int(D.Lanes)}; g < G; g++) rest{c}{r} = MathF.FusedMultiplyAdd(offsets{c}[g], {Bias(r)}[g], rest{c}{r});");
        }
    }

    /// <summary>Whether the groups past whole vectors of them leave a rest, added to each total after the vector sum.</summary>
    private bool HasRest => layout.Groups % D.Lanes != 0;

    /// <summary>
    /// Each (row, column)'s accumulator summed over its lanes (<see cref="LaneTotals"/>: every tile's totals in one tree,
    /// each in the same order whichever tile it is in), plus its rest, into the results: column c's rows at lanes
    /// c · MaxRows + row, so a full column's four totals are stored as one 128-bit piece.
    /// </summary>
    private void RenderResults(SourceWriter w, List<int> rows, List<string> tile)
    {
        var inputs = new string?[tile.Count * MaxRows];
        foreach (var (c, column) in tile.Select((c, i) => (c, i)))
            foreach (var r in rows) inputs[column * MaxRows + r] = $"acc{c}{r}";
        var totals = LaneTotals.Render(w, D, inputs, "total");
        foreach (var (c, column) in tile.Select((c, i) => (c, i)))
        {
            var part = $"{totals}{(D.Lanes == 8 ? "" : ".GetLower()")}.{(column == 0 ? "GetLower" : "GetUpper")}()";
            if (rows.Count == MaxRows) w.Line($"{part}.Store(result{c});");
            else foreach (var r in rows) w.Line($"result{c}[{r}] = {part}.GetElement({r});");
            if (HasRest) foreach (var r in rows) w.Line($"result{c}[{r}] += rest{c}{r};");
        }
    }
}
