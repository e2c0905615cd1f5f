using Llmc.Ir.Quantization;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// How the quantized linear kernel walks a weight row a vector ("chunk") of code bytes at a time, and the layout of
/// an activation row prepared once to match it, so the per-column inner loop is a handful of vector operations.
/// <para>Every i32 lane of a chunk's integer dot product covers four consecutive code bytes: for q8 four codes (the
/// even and odd bytes of two u16 lanes, dotted by pmaddwd with the activation's even and odd codes widened to i16),
/// for q4 eight (the low nibbles of four bytes are codes i.. of a 32-code block, the high nibbles codes i + 16.., dotted by
/// pmaddubsw with the activation codes of those positions); q6 as q4, each nibble joined by its two high bits first. Groups are whole numbers of 16 code bytes and chunks are
/// powers of two, so the four bytes of a lane lie in one group, and lane l of every chunk belongs to the same group
/// of the chunk: (4·l) / GroupBytes.</para>
/// <para>A prepared row (<see cref="PreparedBytes"/>, zero past the codes) holds: <c>xa</c> and <c>xb</c>, the
/// activation codes each chunk dots with, s8 (q4 and q6: the codes under low and under high nibbles, ChunkBytes per chunk
/// each; q8: even and odd codes, half that, widened in registers); <c>xsg</c>, the activation scale of every group; and
/// <c>bias</c>, per group the activation scale times the code sum times the weight offset's factor (−zero code for
/// the symmetric schemes, whose offset is −scale·zero code; 1 for q4a's stored offsets), which one vector dot with the
/// column's scales (or offsets) turns into the column's offset term.</para>
/// <para>8-bit codes in groups of 32 (<see cref="GroupLanes"/>) are dotted a block of <see cref="CpuDialect.Lanes"/>
/// groups at a time with one i32 lane per group (<see cref="GroupLanesTransposition"/>), and the groups after the last
/// whole block (<see cref="FullBlocks"/>) chunk by chunk as above, so a group's exact integer dot product meets its
/// scales once instead of once per vector of codes. Over several rows the kernel transposes each column's whole blocks
/// once per panel and the prepared rows hold theirs transposed the same way (xa bytes 0 and 2 of every lane's four, xb
/// bytes 1 and 3, at the same offsets as the chunks they replace); one row (decode) keeps both in natural order and sums
/// each block's chunk products per group in registers, to the same integers in the same lanes. Either way xsg and bias
/// hold the whole blocks' groups in lane order, and <see cref="ScaleSlots"/> leaves room for the lane ordering's whole
/// vectors.</para>
/// <para>Nibble codes in groups of 32 (<see cref="NibbleBlocks"/>: a group is 16 code bytes, one 128-bit lane of a chunk)
/// are dotted a block of four chunks at a time in natural order: each chunk's i16 pair sums of every (row, column)
/// are added across the block's chunks by a tree of dword unpacks (<see cref="NibbleBlockSums"/>), which leaves each
/// group's pairs in a dword of its own, and one pmaddwd per block makes them the groups' i32 dot products, so every
/// variant, one row or many, meets a group's scales once per block with the same integers in the same lanes
/// (<see cref="BlockLaneGroup"/>).</para>
/// <para>The layout is kept small because a decode step re-reads it for every column while the weights stream
/// through L1: at K = 8192 the q8 row was 26 KB with i16 codes and per-lane scales, and that much of a 32 KB L1 cost
/// the down projection about a third of its bandwidth; it is now 10 KB.</para>
/// </summary>
public sealed record QuantizedRowLayout(QuantFormat Format, CpuDialect Dialect, int K)
{
    /// <summary>
    /// Whether the codes are dotted a block of groups at a time, one lane per group (see the summary): 8-bit codes in
    /// groups of 32, so a group is 8 of a lane's four code bytes and a block of Lanes groups is 8 vectors.
    /// </summary>
    public bool GroupLanes => Format.Bits == 8 && Format.GroupSize == GroupLanesTransposition.GroupSize;

    /// <summary>
    /// Whether nibble codes are dotted a block of four chunks at a time, one lane per group (see the summary): 4-bit
    /// and 6-bit codes in groups of 32, whose 16 nibble bytes fill one 128-bit lane of a chunk.
    /// </summary>
    public bool NibbleBlocks => Format.HasNibbles && GroupBytes == NibbleBlockSums.GroupBytes;

    /// <summary>Whether whole blocks of <see cref="CpuDialect.Lanes"/> groups meet their scales once, a group per lane.</summary>
    public bool LaneOrdered => GroupLanes || NibbleBlocks;

    /// <summary>Whole blocks of <see cref="CpuDialect.Lanes"/> groups per row (<see cref="LaneOrdered"/>), dotted in lane order.</summary>
    public int FullBlocks => LaneOrdered ? Groups / Dialect.Lanes : 0;

    /// <summary>Chunks per block of <see cref="CpuDialect.Lanes"/> groups: 8 of 8-bit codes, 4 of nibbles.</summary>
    public int BlockChunks => Dialect.Lanes * GroupBytes / ChunkBytes;

    /// <summary>The chunk the groups after the whole blocks start at.</summary>
    public int FirstChunk => FullBlocks * BlockChunks;

    /// <summary>The group, counted from its block's first, whose sum, scales and bias term lane <paramref name="lane"/> holds.</summary>
    public int BlockLaneGroup(int lane) => GroupLanes ? GroupLanesTransposition.LaneGroup(Dialect, lane) : NibbleBlockSums.LaneGroup(Dialect, lane);

    /// <summary>Code bytes per chunk: one vector.</summary>
    public int ChunkBytes => Dialect.ByteLanes;

    /// <summary>Bytes from one column's codes to the next's.</summary>
    public int RowBytes => Format.CodeRowBytes(K);

    public int Groups => Format.Groups(K);

    /// <summary>Chunked bytes per group: its codes, or for q4, q4a and q6 its nibbles.</summary>
    public int GroupBytes => Format.GroupSize * Format.ChunkedBits / 8;

    /// <summary>
    /// The bytes a row's chunks walk: the codes of its groups, or their nibbles (q6's high bits follow them at
    /// <see cref="HighBitsOffset"/>, q6's padding to whole 64 codes is not walked).
    /// </summary>
    public int ChunkedBytes => Groups * GroupBytes;

    /// <summary>Where q6's high-bit plane starts in a column's codes: 16 bytes for each 32 nibble bytes.</summary>
    public int HighBitsOffset => Format.NibbleRowBytes(K);

    /// <summary>Chunks that lie wholly within a row's chunked bytes.</summary>
    public int FullChunks => ChunkedBytes / ChunkBytes;

    /// <summary>Chunked bytes of the row's last, partial chunk (0 when the row is whole chunks; a multiple of 16).</summary>
    public int TailBytes => ChunkedBytes % ChunkBytes;

    public int Chunks => FullChunks + (TailBytes > 0 ? 1 : 0);

    /// <summary>Groups a chunk spans; 1 when a group is a chunk or more.</summary>
    public int GroupsPerChunk => Math.Max(1, ChunkBytes / GroupBytes);

    /// <summary>The group, counted from the chunk's first, of i32 lane <paramref name="lane"/>.</summary>
    public int LaneGroup(int lane) => GroupBytes >= ChunkBytes ? 0 : 4 * lane / GroupBytes;

    /// <summary>Bytes of each of xa and xb: one s8 activation code per 4-bit code, half of one per 8-bit code.</summary>
    public int ActivationBytes => Chunks * ChunkBytes / (Format.HasNibbles ? 1 : 2);

    public int ScaleOffset => 2 * ActivationBytes;

    /// <summary>
    /// Slots of the per-group activation scales and bias terms: one per group, or with <see cref="LaneOrdered"/> the
    /// groups rounded up to whole vectors, as the kernel's lane ordering writes them.
    /// </summary>
    public int ScaleSlots => LaneOrdered ? (Groups + Dialect.Lanes - 1) / Dialect.Lanes * Dialect.Lanes : Groups;

    /// <summary>Per-group activation scales, padded by four floats so a 128-bit load at any group stays inside.</summary>
    public int BiasOffset => ScaleOffset + (ScaleSlots + 4) * sizeof(float);

    /// <summary>Bytes per prepared row, a whole number of cache lines.</summary>
    public int PreparedBytes => (BiasOffset + ScaleSlots * sizeof(float) + 63) / 64 * 64;

    /// <summary>The factor of the weight offset in a group's activation term (see the summary).</summary>
    public int OffsetFactor => Format.HasOffsets ? 1 : -Format.ZeroCode;

    /// <summary>Declares the layout's constants.</summary>
    public void Declare(KernelSource kernel)
    {
        kernel.Constant("K", K);
        kernel.Constant("G", Groups);
        kernel.Constant("GroupSize", Format.GroupSize);
        kernel.Constant("RowBytes", RowBytes);
        kernel.Constant("ChunkBytes", ChunkBytes);
        kernel.Constant("FullChunks", FullChunks);
        kernel.Constant("ActivationBytes", ActivationBytes);
        kernel.Constant("PreparedBytes", PreparedBytes);
        if (LaneOrdered) kernel.Constant("FullBlocks", FullBlocks);
    }
}
