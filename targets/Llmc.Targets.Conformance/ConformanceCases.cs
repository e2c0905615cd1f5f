using System.Globalization;
using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Ir.Quantization;
using Llmc.Targets;

namespace Llmc.Targets.Conformance;

/// <summary>
/// The cases every target runs: each op over awkward sizes (1, odd, just under and over a vector multiple,
/// several rows), random inputs from a generator seeded by the case name so every run sees the same numbers.
/// </summary>
public static class ConformanceCases
{
    private static readonly int[] Widths = [1, 3, 7, 17, 63, 64, 65, 172];

    public static IReadOnlyList<ConformanceCase> All { get; } = [.. Build()];

    public static ConformanceCase Get(string name) => Every.Single(c => c.Name == name);

    /// <summary>
    /// Attention over int8 (kv8) KV caches, plain and with RoPE inside. Kept apart from <see cref="All"/> because only
    /// targets whose attention kernels store kv8 run them (the CPU, Vulkan and CUDA's shared template).
    /// </summary>
    public static IReadOnlyList<ConformanceCase> Int8KvCache { get; } =
    [
        Attention(8, 4, 8, 32, 4, "a0x5+a5x1+a6x1+a7x3", DType.KV8),
        Attention(4, 1, 16, 48, 16, "a0x4+a4x1+a5x1+a6x9", DType.KV8),
        Attention(2, 2, 7, 20, 4, "a0x3+a3x1+a4x2", DType.KV8),
        Attention(4, 2, 64, 300, 16, "a0x140+a140x1+a141x150+a291x1", DType.KV8),
        AttentionRope(8, 4, 8, 32, 4, "a0x5+a5x1+a6x1+a7x3", DType.KV8),
        AttentionRope(6, 3, 34, 24, 16, "a0x1+a1x1+a2x2", DType.KV8),
        AttentionRope(4, 2, 64, 300, 16, "a0x140+a140x1+a141x150", DType.KV8),
        // Query rows in tiles (the CPU takes 4 at a time): a group of 8 heads, a tile whose first rows end before the
        // 128-position block its last rows reach, a tail tile of one row, then of three.
        Attention(16, 2, 16, 160, 16, "a0x2+a2x133+a135x3", DType.KV8),
        AttentionRope(16, 2, 16, 160, 16, "a0x2+a2x133+a135x3", DType.KV8),
        // Several sequences: see the f32 cases in All. A head size of 7 packs rows of different sequences' pool rows
        // into shared words, which their workgroups write at once.
        Attention(4, 2, 16, 64, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1", DType.KV8),
        Attention(4, 4, 7, 24, 4, "a5x3,b9x2,c0x4+c4x1,a8x1,b11x1", DType.KV8),
        AttentionRope(8, 4, 8, 40, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1", DType.KV8),
        Attention(4, 2, 64, 300, 16, "a0x20,b0x2+a20x1+b2x200,a21x1+b202x1", DType.KV8),
        // A sequence's rows apart, out of order and with gaps: see the f32 cases in All.
        Attention(4, 2, 16, 64, 4, "a3x2,b0x2,a0x3,b2x1+b3x2,a8x1,c0x1,a5x2", DType.KV8),
        AttentionRope(8, 4, 8, 40, 4, "a3x2,b0x2,a0x3,b2x1+b3x2,a8x1,c0x1,a5x2", DType.KV8),
        // Sliding windows: see the f32 cases in All.
        Attention(4, 2, 16, 64, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1", DType.KV8, window: 5),
        AttentionRope(16, 2, 16, 160, 16, "a0x2+a2x133+a135x3", DType.KV8, window: 7),
        AttentionRope(8, 4, 8, 40, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1", DType.KV8, qkNorm: true),
    ];

    /// <summary>
    /// Linear (plain and fused) and embedding over f16 and bf16 weights. Kept apart from <see cref="All"/> because only
    /// targets that read half weights run them (the CPU, Vulkan, and CUDA within <see cref="CudaOnlyCases"/>).
    /// </summary>
    public static IReadOnlyList<ConformanceCase> HalfWeights { get; } = [.. BuildHalfWeights()];

    /// <summary>
    /// Quantized linear shapes that exercise how the CPU kernel blocks its work: every scheme and group size with rows
    /// of 1 to 3 chunks and a partial last chunk (K = 32, 96, 160 codes), row counts that leave 1, 2 or 3 rows after
    /// passes of 4 (2, 6, 7), more rows than one prepared panel holds, K = 2048 (whole vectors of group offsets), and
    /// more columns a task than one column block holds, with a block's odd last column dotted alone.
    /// Kept apart from <see cref="All"/> because they target the CPU kernel's blocking.
    /// </summary>
    public static IReadOnlyList<ConformanceCase> QuantizedBlocks { get; } = [.. BuildQuantizedBlocks()];

    /// <summary>Every case: <see cref="All"/> and the sets kept apart from it. The CPU target runs them all. (Declared after them: statics initialize in order.)</summary>
    public static IReadOnlyList<ConformanceCase> Every { get; } = [.. All, .. Int8KvCache, .. HalfWeights, .. QuantizedBlocks];

    private static IEnumerable<ConformanceCase> BuildQuantizedBlocks()
    {
        foreach (var dtype in Enum.GetValues<DType>().Where(t => t.IsQuantized()))
        {
            foreach (var k in new[] { 32, 96, 160 }) yield return QuantizedLinear(dtype, 2, k, 5);
            yield return QuantizedLinear(dtype, 6, 128, 3);
            yield return QuantizedLinear(dtype, 7, 2048, 4);
        }
        yield return QuantizedLinear(DType.Q8G32, 23, 2048, 19);
        yield return QuantizedLinear(DType.Q4G32, 70, 64, 5);
        // Nibble codes in groups of 32 summed a block of Lanes groups at a time (CPU): whole blocks, then 3 groups
        // (a whole 256-bit chunk and a tail, or a 512-bit tail), one row (decode) and a pass and a half of rows.
        foreach (var dtype in new[] { DType.Q4G32, DType.Q4AG32K, DType.Q6G32 })
            foreach (var rows in new[] { 1, 6 }) yield return QuantizedLinear(dtype, rows, 2144, 5);
        yield return FusedLinear(FusedLinearOp.All.Single(op => op.Name == "rms_norm_linear_swiglu"), DType.Q4G32, 6, 2048, 6);
        // Column blocks (64 columns of short rows, 28 at K = 8192) and pairs: with one task or two, each task ends in a
        // partial block, 139 and 61 columns with an odd column at its end; SwiGLU's gate and up rows pair up across them.
        yield return QuantizedLinear(DType.Q4G32, 9, 64, 139);
        yield return QuantizedLinear(DType.Q8G32, 5, 8192, 61);
        yield return FusedLinear(FusedLinearOp.All.Single(op => op.Name == "rms_norm_linear_swiglu"), DType.Q8G32, 6, 64, 140);
        // Gated outputs are staged and stored a vector at a time: one row (decode) and many, a task's outputs ending
        // part way through a vector, with both activations.
        foreach (var name in new[] { "rms_norm_linear_swiglu", "rms_norm_linear_geglu" })
            foreach (var rows in new[] { 1, 9 }) yield return FusedLinear(FusedLinearOp.All.Single(op => op.Name == name), DType.Q8G32, rows, 96, 2 * 37);
        // Activation rounding: many whole groups (a down projection's K), less than one 512-bit vector of codes, and
        // codes that are exact halves (ties round to even) next to an all-zero group and a partial last group.
        // q8g16k at K = 48 ends its activation codes half way through 16 bytes.
        foreach (var dtype in new[] { DType.Q4G32, DType.Q8G32, DType.Q4AG128, DType.Q8G16K, DType.Q8AG32S32, DType.Q4AG32K, DType.Q8AG32K, DType.Q6G32 }) yield return QuantizedLinear(dtype, 2, 8192, 3);
        foreach (var dtype in new[] { DType.Q4G32, DType.Q8G32, DType.Q8G16K }) yield return QuantizedLinear(dtype, 3, 48, 5);
        foreach (var dtype in new[] { DType.Q4G32, DType.Q8G64, DType.Q4AG128, DType.Q8G16K, DType.Q6G64 }) yield return QuantizedLinearOnTies(dtype, 3, 172, 5);
    }

    /// <summary>
    /// A quantized linear whose activation groups start with ±127/16, so the inverse is exactly 16 and each remaining
    /// element, an odd multiple of 1/32, scales to a tie; the second row's first group is all zero.
    /// </summary>
    private static ConformanceCase QuantizedLinearOnTies(DType dtype, int rows, int k, int n)
    {
        var name = $"linear {dtype.Name()} ties rows={rows} k={k} n={n}";
        var random = Seeded(name);
        var group = QuantFormat.Of(dtype).GroupSize;
        var x = new float[rows * k];
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < k; i++)
                x[r * k + i] = r == 1 && i < group ? 0f
                    : i % group == 0 ? (random.Next(2) * 2 - 1) * 127f / 16
                    : (random.Next(-127, 127) + 0.5f) / 16;
        return Single(name, "linear", [new TensorType(DType.F32, Dim.Seq, k), new TensorType(dtype, n, k)],
            new Attributes(), [new HostTensor([rows, k], x), RandomPacked.Tensor(random, dtype, n, k)], rows);
    }

    private static IEnumerable<ConformanceCase> BuildHalfWeights()
    {
        foreach (var dtype in new[] { DType.F16, DType.BF16 })
        {
            // K = 600: rows of several KB, whole pairs of vectors then a scalar tail on the CPU. 37 rows of K = 2,048:
            // x past 256 KB, so the CPU's f16 tiles take wide column blocks (two whole ones of 64 and a part).
            foreach (var (rows, k, n) in new[] { (1, 1, 1), (1, 7, 17), (3, 17, 3), (1, 63, 65), (5, 64, 64), (1, 172, 172), (17, 172, 37), (33, 65, 300), (9, 600, 37), (37, 2048, 150) })
                yield return HalfLinear(dtype, rows, k, n);
            // 9 rows: the fused prologues and epilogues in the CPU's 4-row tiles and a leftover row; 33: the GPU's
            // many-rows code, two whole 16-row tiles and a row.
            foreach (var op in FusedLinearOp.All)
                foreach (var (rows, k, n) in new[] { (1, 172, 38), (3, 65, 18), (9, 172, 38), (33, 172, 40), (9, 600, 22), (37, 2048, 132) })
                    yield return FusedLinear(op, dtype, rows, k, n);
            foreach (var width in Widths) yield return Embedding(width == 172 ? 9 : 1, width, dtype);
        }
    }

    private static IEnumerable<ConformanceCase> Build()
    {
        foreach (var op in new[] { "silu", "gelu_tanh", "mul", "add" })
        {
            foreach (var width in Widths) yield return Elementwise(op, 1, width);
            yield return Elementwise(op, 7, 172);
            yield return Elementwise(op, 3, 2000);
        }
        foreach (var width in Widths) yield return RmsNorm(1, width);
        yield return RmsNorm(9, 65);
        yield return RmsNorm(5, 172);
        // Per-head norms (Qwen3's q/k norm): several heads a row, of awkward and usual sizes.
        yield return RmsNorm(3, 7, heads: 4);
        yield return RmsNorm(5, 128, heads: 2);
        yield return RmsNorm(1, 64, heads: 14);
        foreach (var (rows, k, n) in new[] { (1, 1, 1), (1, 3, 7), (1, 7, 17), (3, 17, 3), (1, 63, 65), (5, 64, 64), (1, 65, 63), (1, 172, 172), (17, 172, 172), (4, 1, 64), (1, 172, 1), (63, 65, 17), (33, 64, 300) })
            yield return Linear(rows, k, n);
        foreach (var dtype in Enum.GetValues<DType>().Where(t => t.IsQuantized()))
            foreach (var k in new[] { 172, 64, 65, 300 })
                foreach (var rows in new[] { 1, 3, 17 })
                    yield return QuantizedLinear(dtype, rows, k, 37);
        // The GPU's many-rows code: more rows than one tile (64 rows a plain linear, 32 a gated pair, fewer where the
        // staged chunk of every row would not fit), K over several chunks of activation codes with a partial last one.
        yield return Linear(70, 65, 17);
        foreach (var dtype in new[] { DType.Q4G32, DType.Q8G16K, DType.Q6G64, DType.Q4AG128 }) yield return QuantizedLinear(dtype, 50, 600, 37);
        yield return FusedLinear(FusedLinearOp.All.Single(op => op.Name == "rms_norm_linear_swiglu"), DType.Q8G32, 33, 600, 18);
        foreach (var (headDim, heads) in new[] { (2, 1), (6, 3), (8, 2), (16, 1), (34, 3), (64, 2), (128, 1) })
        {
            yield return Rope(1, heads, headDim);
            yield return Rope(7, heads, headDim);
        }
        foreach (var (rows, width) in new[] { (1, 1), (1, 17), (7, 172), (3, 2000) }) yield return SoftCap(rows, width);
        yield return Embedding(5, 64, scale: 8.0);
        yield return Embedding(3, 17, scale: Math.Sqrt(17));
        // Quantized tables (a GGUF's, carried): every scheme, whole and partial groups, with and without a scale.
        foreach (var dtype in new[] { DType.Q8G32, DType.Q4G32, DType.Q4AG64, DType.Q8AG32S32, DType.Q8G16K, DType.Q4AG32K, DType.Q8AG32K, DType.Q6G32 })
        {
            yield return Embedding(9, 172, dtype);
            yield return Embedding(3, 64, dtype, scale: Math.Sqrt(64));
        }
        foreach (var width in Widths)
        {
            yield return Embedding(width == 172 ? 9 : 1, width);
            yield return GatherRows(9, width == 1 ? 1 : 3, width);
        }
        // (heads, kv heads, head dim, context, block size, steps as PagedSteps spells them). One sequence, prefill then
        // decode, its rows crossing block boundaries:
        yield return Attention(8, 4, 8, 32, 4, "a0x5+a5x1+a6x1+a7x3");
        yield return Attention(4, 1, 16, 48, 16, "a0x4+a4x1+a5x1+a6x9");
        yield return Attention(2, 2, 7, 20, 4, "a0x3+a3x1+a4x2");
        yield return Attention(6, 3, 17, 24, 16, "a0x1+a1x1+a2x1");
        yield return Attention(4, 2, 64, 300, 16, "a0x140+a140x1+a141x150+a291x1");
        yield return Attention(2, 1, 65, 40, 4, "a0x7+a7x1");
        // Several sequences per step: prefill chunks next to decode rows of others, steps reading what earlier ones
        // wrote, positions far apart across sequences.
        yield return Attention(4, 2, 16, 64, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1");
        // One row per sequence, every earlier position the cache's noise read through scattered blocks.
        yield return Attention(8, 2, 8, 40, 16, "b17x1,a3x1,c30x1,d0x1");
        // Chunks starting mid-sequence next to each other, an odd head size.
        yield return Attention(4, 4, 7, 24, 4, "a5x3,b9x2,c0x4+c4x1,a8x1,b11x1");
        // Long sequences: chunks of over 256 positions next to decode rows, one-row steps deep into a sequence (a row
        // reading several of the template's chunks).
        yield return Attention(4, 2, 64, 300, 16, "a0x20,b0x2+a20x1+b2x200,a21x1+b202x1");
        yield return Attention(2, 1, 32, 300, 16, "a250x1+a251x1");
        // Rows of more chunks than CUDA's split code has workgroups for a row (each workgroup then takes several).
        yield return Attention(2, 1, 16, 4400, 16, "a4200x1,b0x3+a4201x2");
        // A sequence's rows apart in the step, out of order, and with gaps between their positions (what the runtime's
        // scheduler does not send, but a step may hold): the fresh rows a query reads are found wherever they lie.
        yield return Attention(4, 2, 16, 64, 4, "a3x2,b0x2,a0x3,b2x1+b3x2,a8x1,c0x1,a5x2");
        yield return Attention(4, 2, 64, 300, 16, "a0x3,b0x2,a260x2,b2x1,a3x5");
        // Sliding windows: shorter than a block of the pool, across blocks and the CPU's 128-position score blocks
        // (rows of one tile whose windows start in different blocks), longer than a prefill chunk, and one position.
        yield return Attention(4, 2, 16, 64, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1", window: 5);
        yield return Attention(16, 2, 16, 160, 16, "a0x2+a2x133+a135x3", window: 7);
        yield return Attention(4, 2, 64, 300, 16, "a0x140+a140x1+a141x150+a291x1", window: 130);
        yield return Attention(4, 2, 16, 300, 16, "a0x20,b0x2+a20x1+b2x200,a21x1+b202x1", window: 40);
        yield return Attention(2, 1, 8, 24, 4, "a0x9+a9x1", window: 1);
        // Soft-capped scores (Gemma 2), with a window.
        yield return Attention(4, 2, 16, 64, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1", window: 5, softcap: 0.5);
        yield return Attention(4, 2, 64, 300, 16, "a0x140+a140x1+a141x150+a291x1", softcap: 2.0);
        foreach (var c in FusedCases()) yield return c;
    }

    /// <summary>The fused ops: each against its unfused decomposition, f32 and quantized weights, awkward K.</summary>
    private static IEnumerable<ConformanceCase> FusedCases()
    {
        foreach (var op in FusedLinearOp.All)
            foreach (var dtype in new[] { DType.F32, DType.Q8G32, DType.Q4G64, DType.Q4AG128, DType.Q8G16K, DType.Q8AG32S32, DType.Q4AG32K, DType.Q6G32 })
                foreach (var (rows, k, n) in new[] { (1, 172, 38), (3, 65, 18), (17, 64, 64), (5, 300, 2) })
                    yield return FusedLinear(op, dtype, rows, k, n);
        // As the attention cases: (heads, kv heads, head dim, context, block size, steps).
        yield return AttentionRope(8, 4, 8, 32, 4, "a0x5+a5x1+a6x1+a7x3");
        yield return AttentionRope(4, 1, 16, 48, 16, "a0x4+a4x1+a5x9");
        yield return AttentionRope(6, 3, 34, 24, 16, "a0x1+a1x1+a2x2");
        yield return AttentionRope(4, 2, 64, 300, 16, "a0x140+a140x1+a141x150");
        yield return AttentionRope(8, 4, 8, 40, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1");
        yield return AttentionRope(4, 2, 16, 300, 16, "b150x1,a20x1+a21x1");
        yield return AttentionRope(8, 4, 8, 40, 4, "a3x2,b0x2,a0x3,b2x1+b3x2,a8x1,c0x1,a5x2");
        yield return AttentionRope(4, 2, 64, 300, 16, "a0x3,b0x2,a260x2,b2x1,a3x5", qkNorm: true);
        yield return AttentionRope(8, 4, 8, 40, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1", window: 6);
        yield return AttentionRope(4, 2, 64, 300, 16, "a0x140+a140x1+a141x150", window: 129);
        yield return AttentionRope(8, 4, 8, 40, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1", softcap: 0.5);
        // With the per-head q/k norm before the rotation (Qwen3): one and several sequences, a tile's rows, an odd
        // head count per group.
        yield return AttentionRope(8, 4, 8, 32, 4, "a0x5+a5x1+a6x1+a7x3", qkNorm: true);
        yield return AttentionRope(8, 4, 8, 40, 4, "a0x6,b0x3+b3x1,a6x1+a7x5,b4x1,c0x2+c2x1,b5x9,a12x1", qkNorm: true);
        yield return AttentionRope(6, 2, 34, 300, 16, "a0x140+a140x1+a141x150", qkNorm: true);
        foreach (var expr in new[] { "silu(silu(a))", "mul(silu(a), b)", "mul(gelu_tanh(a), b)", "add(mul(silu(a), b), c)", "add(mul(a, b), mul(c, add(d, a)))" })
            foreach (var (rows, width) in new[] { (1, 1), (1, 17), (7, 172), (3, 2000) })
                yield return ElementwiseChain(expr, rows, width);
    }

    private static ConformanceCase Elementwise(string op, int rows, int width)
    {
        var name = $"{op} rows={rows} width={width}";
        var random = Seeded(name);
        var type = new TensorType(DType.F32, Dim.Seq, width);
        var arity = OpRegistry.Get(op).Arity;
        return Single(name, op, [.. Enumerable.Repeat(type, arity)], new Attributes(),
            [.. Enumerable.Range(0, arity).Select(_ => Floats(random, [rows, width], 8))], rows);
    }

    /// <param name="heads">Runs of <paramref name="width"/> a row, each normalized alone (a per-head norm).</param>
    private static ConformanceCase RmsNorm(int rows, int width, int heads = 1)
    {
        var name = $"rms_norm rows={rows} width={width}" + (heads > 1 ? $" heads={heads}" : "");
        var random = Seeded(name);
        return Single(name, "rms_norm", [new TensorType(DType.F32, Dim.Seq, width * heads), new TensorType(DType.F32, width)],
            new Attributes().Set("eps", 1e-5), [Floats(random, [rows, width * heads], 2), Floats(random, [width], 1)], rows);
    }

    private static ConformanceCase Linear(int rows, int k, int n)
    {
        var name = $"linear rows={rows} k={k} n={n}";
        var random = Seeded(name);
        return Single(name, "linear", [new TensorType(DType.F32, Dim.Seq, k), new TensorType(DType.F32, n, k)],
            new Attributes(), [Floats(random, [rows, k], 1), Floats(random, [n, k], 1)], rows);
    }

    private static ConformanceCase HalfLinear(DType dtype, int rows, int k, int n)
    {
        var name = $"linear {dtype.Name()} rows={rows} k={k} n={n}";
        var random = Seeded(name);
        return Single(name, "linear", [new TensorType(DType.F32, Dim.Seq, k), new TensorType(dtype, n, k)],
            new Attributes(), [Floats(random, [rows, k], 1), Floats(random, [n, k], 1, dtype)], rows);
    }

    private static ConformanceCase QuantizedLinear(DType dtype, int rows, int k, int n)
    {
        var name = $"linear {dtype.Name()} rows={rows} k={k} n={n}";
        var random = Seeded(name);
        return Single(name, "linear", [new TensorType(DType.F32, Dim.Seq, k), new TensorType(dtype, n, k)],
            new Attributes(), [Floats(random, [rows, k], 1), RandomPacked.Tensor(random, dtype, n, k)], rows);
    }

    private static ConformanceCase FusedLinear(FusedLinearOp op, DType dtype, int rows, int k, int n)
    {
        var name = $"{op.Name} {dtype.Name()} rows={rows} k={k} n={n}";
        var random = Seeded(name);
        var types = new List<TensorType> { new(DType.F32, Dim.Seq, k), new(dtype, n, k) };
        var data = new List<HostTensor> { Floats(random, [rows, k], 1), dtype.IsQuantized() ? RandomPacked.Tensor(random, dtype, n, k) : Floats(random, [n, k], 1, dtype) };
        var attrs = new Attributes();
        if (op.Prologue == LinearPrologue.RmsNorm)
        {
            types.Add(new TensorType(DType.F32, k));
            data.Add(Floats(random, [k], 1));
            attrs.Set("eps", 1e-5);
        }
        if (op.Epilogue == LinearEpilogue.Residual)
        {
            types.Add(new TensorType(DType.F32, Dim.Seq, n));
            data.Add(Floats(random, [rows, n], 1));
        }
        if (op.Epilogue == LinearEpilogue.Bias)
        {
            types.Add(new TensorType(DType.F32, n));
            data.Add(Floats(random, [n], 1));
        }
        // The kernels normalize in f32 in their own order, the reference in float64: a normalized activation an ulp
        // apart may round to the neighbouring int8 code, one code step in one group, which the f32 bound cannot absorb.
        var tolerance = dtype.IsQuantized() && op.Prologue == LinearPrologue.RmsNorm ? QuantizedAfterNormTolerance : ConformanceChecker.F32Tolerance;
        return Single(name, op.Name, [.. types], attrs, [.. data], rows, tolerance);
    }

    /// <summary>Relative L2 bound for a quantized linear behind an RMSNorm: an activation one code step off (see there; measured 1.6e-4 for one).</summary>
    private const double QuantizedAfterNormTolerance = 5e-4;

    private static ConformanceCase AttentionRope(int heads, int kvHeads, int headDim, int context, int blockSize, string steps, DType storage = DType.F32, int? window = null, bool qkNorm = false, double? softcap = null)
    {
        var op = AttentionRopeOp.All.Single(o => o.NormalizesQk == qkNorm);
        var name = $"{op.Name}{CacheSuffix(storage)} heads={heads} kv_heads={kvHeads} head_dim={headDim} context={context} block={blockSize}{WindowSuffix(window, softcap)} steps={steps}";
        var random = Seeded(name);
        var paged = new PagedSteps(random, steps, blockSize, storage, kvHeads, headDim);
        int width = (heads + 2 * kvHeads) * headDim;
        var invFreq = new HostTensor([headDim / 2], [.. Enumerable.Range(0, headDim / 2).Select(i => (float)Math.Pow(10000, -2.0 * i / headDim))]);
        // The kernel rotates keys in f32, the reference in float64: a key an ulp apart may round to the neighbouring
        // kv8 code, one code step in one element of a cache row, which the f32 bound cannot absorb.
        var tolerance = storage == DType.KV8 ? Int8RotatedKeyTolerance : ConformanceChecker.F32Tolerance;
        var attrs = AttentionAttributes(heads, kvHeads, headDim, context, window, softcap);
        TensorType[] normTypes = qkNorm ? [new TensorType(DType.F32, headDim), new TensorType(DType.F32, headDim)] : [];
        HostTensor[] norms = qkNorm ? [Floats(random, [headDim], 1), Floats(random, [headDim], 1)] : [];
        if (qkNorm) attrs.Set("eps", 1e-6);
        return Case(name, op.Name,
            [new TensorType(DType.F32, Dim.Seq, width), new TensorType(DType.I32, Dim.Seq), new TensorType(DType.F32, headDim / 2), .. paged.Types, .. normTypes], attrs,
            [.. paged.Steps.Select(s => new ConformanceStep(
                [Floats(random, [s.Rows, width], 1), s.Positions, invFreq, .. s.Paging, .. norms], s.Symbols))], tolerance);
    }

    private static ConformanceCase ElementwiseChain(string expr, int rows, int width)
    {
        var name = $"elementwise {expr} rows={rows} width={width}";
        var random = Seeded(name);
        var arity = ElementwiseExpression.Parse(expr).Operands().Distinct().Count();
        var type = new TensorType(DType.F32, Dim.Seq, width);
        return Single(name, ElementwiseChainOp.NameOf(arity), [.. Enumerable.Repeat(type, arity)], new Attributes().Set("expr", expr),
            [.. Enumerable.Range(0, arity).Select(_ => Floats(random, [rows, width], 4))], rows);
    }

    private static ConformanceCase Rope(int rows, int heads, int headDim)
    {
        var name = $"rope rows={rows} heads={heads} head_dim={headDim}";
        var random = Seeded(name);
        var invFreq = Enumerable.Range(0, headDim / 2).Select(i => (float)Math.Pow(10000, -2.0 * i / headDim)).ToArray();
        var positions = Enumerable.Range(0, rows).Select(_ => random.Next(4096)).ToArray();
        return Single(name, "rope",
            [new TensorType(DType.F32, Dim.Seq, heads * headDim), new TensorType(DType.I32, Dim.Seq), new TensorType(DType.F32, headDim / 2)],
            new Attributes().Set("head_dim", headDim),
            [Floats(random, [rows, heads * headDim], 2), new HostTensor([rows], positions), new HostTensor([headDim / 2], invFreq)], rows);
    }

    private static ConformanceCase Embedding(int rows, int width, DType table = DType.F32, double? scale = null)
    {
        const int vocab = 40;
        var name = $"embedding{(table == DType.F32 ? "" : " " + table.Name())} rows={rows} width={width}" + (scale is { } s ? $" scale={s.ToString("R", CultureInfo.InvariantCulture)}" : "");
        var random = Seeded(name);
        var attrs = scale is { } factor ? new Attributes().Set("scale", factor) : new Attributes();
        return Single(name, "embedding", [new TensorType(table, vocab, width), new TensorType(DType.I32, Dim.Seq)], attrs,
            [table.IsQuantized() ? RandomPacked.Tensor(random, table, vocab, width) : Floats(random, [vocab, width], 1, table),
                new HostTensor([rows], [.. Enumerable.Range(0, rows).Select(_ => random.Next(vocab))])], rows);
    }

    private static ConformanceCase GatherRows(int rows, int picked, int width)
    {
        var name = $"gather_rows rows={rows} out={picked} width={width}";
        var random = Seeded(name);
        var step = new ConformanceStep(
            [Floats(random, [rows, width], 1), new HostTensor([picked], [.. Enumerable.Range(0, picked).Select(_ => random.Next(rows))])],
            new Dictionary<string, int> { ["seq"] = rows, ["out"] = picked });
        return Case(name, "gather_rows", [new TensorType(DType.F32, Dim.Seq, width), new TensorType(DType.I32, Dim.Out)], new Attributes(), [step]);
    }

    private static ConformanceCase Attention(int heads, int kvHeads, int headDim, int context, int blockSize, string steps, DType storage = DType.F32, int? window = null, double? softcap = null)
    {
        var name = $"attention{CacheSuffix(storage)} heads={heads} kv_heads={kvHeads} head_dim={headDim} context={context} block={blockSize}{WindowSuffix(window, softcap)} steps={steps}";
        var random = Seeded(name);
        var paged = new PagedSteps(random, steps, blockSize, storage, kvHeads, headDim);
        int queryWidth = heads * headDim, kvWidth = kvHeads * headDim;
        var row = new TensorType(DType.F32, Dim.Seq, kvWidth);
        return Case(name, "attention",
            [new TensorType(DType.F32, Dim.Seq, queryWidth), row, row, new TensorType(DType.I32, Dim.Seq), .. paged.Types], AttentionAttributes(heads, kvHeads, headDim, context, window, softcap),
            [.. paged.Steps.Select(s => new ConformanceStep(
                [Floats(random, [s.Rows, queryWidth], 1), Floats(random, [s.Rows, kvWidth], 1), Floats(random, [s.Rows, kvWidth], 1), s.Positions, .. s.Paging],
                s.Symbols))]);
    }

    private static Attributes AttentionAttributes(int heads, int kvHeads, int headDim, int context, int? window, double? softcap = null)
    {
        var attrs = new Attributes().Set("n_heads", heads).Set("n_kv_heads", kvHeads).Set("head_dim", headDim).Set("scale", 1 / Math.Sqrt(headDim)).Set("context", context);
        if (softcap is { } cap) attrs.Set("softcap", cap);
        return window is { } positions ? attrs.Set(AttentionWindow.Attribute, positions) : attrs;
    }

    private static string WindowSuffix(int? window, double? softcap = null) =>
        (window is { } positions ? $" window={positions}" : "") + (softcap is { } cap ? $" softcap={cap.ToString(CultureInfo.InvariantCulture)}" : "");

    private static ConformanceCase SoftCap(int rows, int width)
    {
        var name = $"soft_cap rows={rows} width={width}";
        var random = Seeded(name);
        return Single(name, "soft_cap", [new TensorType(DType.F32, Dim.Seq, width)], new Attributes().Set("cap", 2.0),
            [Floats(random, [rows, width], 8)], rows);
    }

    /// <summary>
    /// The paged-KV operands of an attention case's steps, from a spec such as <c>a0x6,b0x3+b3x1,a6x1</c>: steps joined
    /// by '+', each a list of runs of one sequence's rows (its letter, first position, 'x', row count). The runtime lays
    /// out a step as one run per sequence; a sequence may have several runs in a step, apart, out of order or with gaps
    /// between their positions. Each sequence owns the blocks its positions reach, drawn at random from
    /// a pool with two spare blocks, so tables are scattered (not 0, 1, 2, ...). The caches start as noise: a kernel
    /// reading a pool row it should not (a spare block, another sequence's, a position not yet written) shows up as an
    /// error. A step's <c>block_tables</c> holds its sequences' tables, the last run's first (so row_blocks start past 0),
    /// each cut to the blocks the step's positions reach.
    /// </summary>
    private sealed class PagedSteps
    {
        public PagedSteps(Random random, string spec, int blockSize, DType storage, int kvHeads, int headDim)
        {
            var steps = spec.Split('+').Select(step => step.Split(',').Select(ParseRun).ToArray()).ToArray();
            var reach = new int[steps.SelectMany(runs => runs).Max(run => run.Sequence) + 1];
            foreach (var run in steps.SelectMany(runs => runs))
                reach[run.Sequence] = Math.Max(reach[run.Sequence], BlocksReached(run, blockSize));
            var blocks = reach.Sum() + 2;
            var shuffled = Enumerable.Range(0, blocks).OrderBy(_ => random.Next()).ToArray();
            var tables = reach.Select((n, sequence) => shuffled.AsSpan(reach[..sequence].Sum(), n).ToArray()).ToArray();
            var cache = KvCacheFormat.PoolType(storage, kvHeads, headDim);
            Types = [new TensorType(DType.I32, Dim.KvTable), new TensorType(DType.I32, Dim.Seq), cache, cache];
            var (keyCache, valueCache) = (Cache(random, storage, blocks, blockSize, kvHeads, headDim), Cache(random, storage, blocks, blockSize, kvHeads, headDim));
            Steps = [.. steps.Select(runs =>
            {
                var (entries, starts) = (new List<int>(), new Dictionary<int, int>());
                foreach (var sequence in runs.Select(run => run.Sequence).Distinct().Reverse())
                {
                    starts[sequence] = entries.Count;
                    entries.AddRange(tables[sequence][..runs.Where(run => run.Sequence == sequence).Max(run => BlocksReached(run, blockSize))]);
                }
                var rows = runs.Sum(run => run.Count);
                return new PagedStep(rows, new HostTensor([rows], [.. runs.SelectMany(run => Enumerable.Range(run.First, run.Count))]),
                    [new HostTensor([entries.Count], [.. entries]), new HostTensor([rows], [.. runs.SelectMany(run => Enumerable.Repeat(starts[run.Sequence], run.Count))]), keyCache, valueCache],
                    new Dictionary<string, int>
                    {
                        [Dim.Seq.Symbol!] = rows, [Dim.KvTable.Symbol!] = entries.Count, [Dim.KvBlocks.Symbol!] = blocks, [Dim.KvBlock.Symbol!] = blockSize,
                    });
            })];
        }

        /// <summary>The types of block_tables, row_blocks, k_cache and v_cache.</summary>
        public TensorType[] Types { get; }

        public IReadOnlyList<PagedStep> Steps { get; }

        private static (int Sequence, int First, int Count) ParseRun(string run)
        {
            var x = run.IndexOf('x', StringComparison.Ordinal);
            return (run[0] - 'a', int.Parse(run[1..x], CultureInfo.InvariantCulture), int.Parse(run[(x + 1)..], CultureInfo.InvariantCulture));
        }

        private static int BlocksReached((int Sequence, int First, int Count) run, int blockSize) => (run.First + run.Count - 1) / blockSize + 1;
    }

    /// <summary>One step's rows, positions, paged operands (block_tables, row_blocks, k_cache, v_cache) and symbols.</summary>
    private sealed record PagedStep(int Rows, HostTensor Positions, HostTensor[] Paging, IReadOnlyDictionary<string, int> Symbols);

    private static ConformanceCase Single(string name, string op, TensorType[] operands, Attributes attrs, HostTensor[] data, int rows,
        double tolerance = ConformanceChecker.F32Tolerance) =>
        Case(name, op, operands, attrs, [new ConformanceStep(data, new Dictionary<string, int> { ["seq"] = rows })], tolerance);

    private static ConformanceCase Case(string name, string op, TensorType[] operands, Attributes attrs, ConformanceStep[] steps,
        double tolerance = ConformanceChecker.F32Tolerance)
    {
        var result = OpRegistry.Get(op).InferType(operands, attrs);
        return new ConformanceCase(name, new KernelInstance(op, operands, result, attrs), steps, tolerance);
    }

    /// <summary>Relative L2 bound for RoPE inside attention over a kv8 cache: a few keys one code step off (see there).</summary>
    private const double Int8RotatedKeyTolerance = 2e-4;

    private static string CacheSuffix(DType storage) => storage == DType.F32 ? "" : " " + storage.Name();

    /// <summary>A pool of noise: f32 values, or kv8 codes over the whole int8 range with random scales.</summary>
    private static HostTensor Cache(Random random, DType storage, int blocks, int blockSize, int kvHeads, int headDim)
    {
        if (storage == DType.F32) return Floats(random, [blocks, blockSize, kvHeads * headDim], 1);
        var codes = (int)KvCacheFormat.CodesOffset((long)blocks * blockSize, kvHeads);
        var packed = new byte[KvCacheFormat.Bytes([blocks, blockSize, kvHeads, headDim])];
        var scales = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(packed.AsSpan(0, codes));
        for (var i = 0; i < scales.Length; i++) scales[i] = (float)(random.NextDouble() / 127);
        random.NextBytes(packed.AsSpan(codes));
        return new HostTensor(DType.KV8, [blocks, blockSize, kvHeads, headDim], packed);
    }

    private static HostTensor Floats(Random random, int[] shape, double magnitude) =>
        new(shape, [.. Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)((random.NextDouble() * 2 - 1) * magnitude))]);

    /// <summary>Random values of a float dtype: for f16/bf16, rounded to it, in a tensor of that dtype.</summary>
    private static HostTensor Floats(Random random, int[] shape, double magnitude, DType dtype)
    {
        var values = Floats(random, shape, magnitude);
        if (dtype == DType.F32) return values;
        var tensor = new HostTensor(dtype, shape);
        for (var i = 0; i < values.Floats.Length; i++)
            tensor.Floats[i] = HalfFloats.Representable(dtype, values.Floats[i]);
        return tensor;
    }

    // string.GetHashCode differs between processes; the seed must not.
    private static Random Seeded(string name) => new(name.Aggregate(17, (h, c) => unchecked(h * 31 + c)));
}
