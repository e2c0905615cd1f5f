using Llmc.Ir;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// How the attention kernels store and read a KV cache <paramref name="cache"/>, a pool addressed by pool row
/// (<see cref="AttentionOperands.PoolRow"/>): f32 rows, or kv8 (<see cref="Ir.Quantization.KvCacheFormat"/>: one f32
/// scale per (pool row, kv head), then int8 codes, each head's row rounded as activation quantization rounds a group).
/// kv8 rows of a head size that is not a multiple of 4 share words with their neighbours, which other workgroups write
/// at the same time, so codes are stored byte by byte with atomics. Rows a step writes are read from the operands (see
/// <see cref="AttentionTemplate"/>); with kv8 they are rounded the same way first, so they read as the cache would.
/// </summary>
public sealed class KvCacheAccess
{
    private readonly TensorType _cache;

    private KvCacheAccess(TensorType cache) => _cache = cache;

    public static KvCacheAccess For(TensorType cache) => cache.DType is DType.F32 or DType.KV8
        ? new KvCacheAccess(cache)
        : throw new TargetException($"the GPU attention kernel stores KV caches as f32 or kv8, not {cache.DType.Name()}");

    public bool Int8 => _cache.DType == DType.KV8;

    /// <summary>
    /// Declares what the accessors use (kv8: <c>CodesWord</c>, where the codes start, in words: after a scale per pool
    /// row and kv head, the pool's rows being run-time symbols).
    /// </summary>
    public void RenderConstants(GpuKernelSource kernel)
    {
        if (Int8) kernel.Writer.Line($"int CodesWord = {kernel.Size(_cache[0])} * {kernel.Size(_cache[1])} * KvHeads;");
    }

    /// <summary>Element i of kv head <c>kv</c> at pool row <paramref name="row"/> of cache argument <paramref name="argument"/>, as f32.</summary>
    public string Element(GpuKernelSource kernel, int argument, string row, string i)
    {
        if (!Int8) return kernel.Load(argument, F32Index(row, i));
        var d = kernel.Dialect;
        var at = $"(({row}) * KvHeads + kv) * HeadDim + {i}";
        var code = $"(({d.Cast("int", d.Word(argument, $"CodesWord + ({at} >> 2)"))} << (24 - 8 * ({at} & 3))) >> 24)";
        return $"{d.BitsToFloat(d.Word(argument, $"({row}) * KvHeads + kv"))} * {d.Cast("float", code)}";
    }

    /// <summary>
    /// Stores the head row whose element i is <paramref name="element"/>(i) (an f32 expression, read once per element
    /// with f32 and twice with kv8, e.g. a row staged in shared memory) at (pool row <paramref name="row"/>, <c>kv</c>)
    /// of cache argument <paramref name="argument"/>. Every thread of the workgroup must get here (kv8 reduces over the
    /// row).
    /// </summary>
    public void RenderStore(GpuKernelSource kernel, int argument, string row, int threads, Func<string, string> element)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        if (!Int8)
        {
            w.Line($"for (int i = {d.LocalId}; i < HeadDim; i += {threads}) {kernel.Store(argument, F32Index(row, "i"), element("i"))}");
            return;
        }
        using (w.Block(""))
        {
            w.Line("float rowMax = 0.0f;");
            w.Line($"for (int i = {d.LocalId}; i < HeadDim; i += {threads}) rowMax = {d.Max("rowMax", d.Abs(element("i")))};");
            w.Line($"float largest = {kernel.Reduce("partial", "rowMax", threads, d.Max)};");
            w.Line(d.Barrier);
            RenderRounding(kernel, "largest", "rowScale", "rowInverse");
            w.Line($"if ({d.LocalId} == 0) {d.Word(argument, $"({row}) * KvHeads + kv")} = {d.FloatToBits("rowScale")};");
            using (w.Block($"for (int i = {d.LocalId}; i < HeadDim; i += {threads})"))
            {
                w.Line($"int at = (({row}) * KvHeads + kv) * HeadDim + i, shift = 8 * (at & 3);");
                w.Line($"{d.Uint} code = {d.Cast(d.Uint, $"{d.Cast("int", d.RoundEven($"{element("i")} * rowInverse"))} & 255")};");
                w.Line(d.AtomicAnd(d.Word(argument, "CodesWord + (at >> 2)"), $"~(255u << shift)"));
                w.Line(d.AtomicOr(d.Word(argument, "CodesWord + (at >> 2)"), "code << shift"));
            }
        }
    }

    // Element i of kv head kv at a pool row of an f32 cache: rows of KvWidth, heads of HeadDim.
    private static string F32Index(string row, string i) => $"({row}) * KvWidth + kv * HeadDim + {i}";

    /// <summary>
    /// Declares floats <paramref name="scale"/> and <paramref name="inverse"/> of a row whose largest magnitude is
    /// <paramref name="largest"/>: the value read back for x is scale·roundEven(x·inverse), as
    /// <see cref="Ir.Quantization.ActivationQuantization"/> rounds.
    /// </summary>
    public static void RenderRounding(GpuKernelSource kernel, string largest, string scale, string inverse)
    {
        var w = kernel.Writer;
        w.Line($"float {inverse} = 0.0f;");
        using (w.Block($"if ({largest} != 0.0f)"))
        {
            kernel.Divide($"{inverse}Quotient", "127.0f", largest);
            w.Line($"{inverse} = {inverse}Quotient;");
        }
        kernel.Divide(scale, largest, "127.0f");
    }

    /// <summary>A fresh (operand) value as the cache would return it: rounded with kv8, itself with f32.</summary>
    public string Fresh(GpuKernelSource kernel, string value, string scale, string inverse) =>
        Int8 ? $"{scale} * {kernel.Dialect.RoundEven($"{value} * {inverse}")}" : value;
}
