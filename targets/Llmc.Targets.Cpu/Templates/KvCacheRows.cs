using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// How the attention kernel stores and reads one kv head's part of a KV pool row. An f32 cache is read in place.
/// A kv8 cache (<see cref="KvCacheFormat"/>) is quantized as rows are written, term for term as
/// <see cref="ActivationQuantization"/> rounds a group (so kernel and reference store the same codes). Rows are read a
/// sub-block of one vector's lane count of positions at a time: a kv8 row is widened once to f32 codes in the sub-block's
/// scratch rows, which every query vector of the kernel's tile then shares; its scale multiplies the dot product or
/// the softmax weight instead of every element.
/// Expects the kernel's <c>HeadDim</c>, <c>KvHeads</c> and <c>KvWidth</c> constants, a loop variable <c>head</c> (the kv head) and, where
/// rows are written, <c>slot</c> (the pool row).
/// </summary>
internal sealed class KvCacheRows(KernelSource kernel, int keyOperand)
{
    private static readonly string[] Caches = ["key", "value"];

    public bool IsInt8 { get; } = kernel.Instance.Operands[keyOperand].DType == DType.KV8;

    /// <summary>Declares <c>keyCache</c>/<c>valueCache</c> (f32), or each cache's scale and code planes and an f32 scratch row (kv8).</summary>
    public void Declare()
    {
        var w = kernel.Writer;
        if (!IsInt8)
        {
            kernel.Operand("keyCache", keyOperand);
            kernel.Operand("valueCache", keyOperand + 1);
            return;
        }
        var shape = kernel.Instance.Operands[keyOperand].Shape;
        // KvCacheFormat: the scales of every pool row, then the codes.
        w.Line($"long codesOffset = (long){KernelSource.Size(shape[0])} * {KernelSource.Size(shape[1])} * KvHeads * sizeof(float);");
        for (var i = 0; i < Caches.Length; i++)
        {
            w.Line($"float* {Caches[i]}Scales = (float*)args[{keyOperand + i}];");
            w.Line($"sbyte* {Caches[i]}Codes = (sbyte*)args[{keyOperand + i}] + codesOffset;");
            w.Line($"float* {Caches[i]}Scratch = stackalloc float[HeadDim * {kernel.Dialect.Lanes}];");
        }
        w.Line($"float* rowScales = stackalloc float[{kernel.Dialect.Lanes}];");
    }

    /// <summary>
    /// A statement setting <c>cacheRows[<paramref name="index"/>]</c> to head <c>head</c>'s f32 values of <paramref name="cache"/>
    /// (key or value) pool row <paramref name="slot"/>: in place (f32), or the row's codes widened into scratch row
    /// <paramref name="index"/>, with <c>rowScales[<paramref name="index"/>]</c> its scale (kv8).
    /// </summary>
    public string SubBlockRow(string cache, string slot, string index) => IsInt8
        ? $"{{ long at = (long)({slot}) * KvHeads + head; cacheRows[{index}] = {cache}Scratch + {index} * HeadDim; Widen({cache}Codes + at * HeadDim, cacheRows[{index}]); rowScales[{index}] = {cache}Scales[at]; }}"
        : $"cacheRows[{index}] = {cache}Cache + (long)({slot}) * KvWidth + head * HeadDim;";

    /// <summary>
    /// A statement asking for head <c>head</c> of <paramref name="cache"/> pool row <paramref name="slot"/> to be brought
    /// into L1 ahead of its use: its values (and a kv8 row's scale), every cache line of them.
    /// </summary>
    public string Prefetch(string cache, string slot) => IsInt8
        ? $"{{ long at = (long)({slot}) * KvHeads + head; PrefetchRow({cache}Codes + at * HeadDim, HeadDim); Sse.Prefetch0({cache}Scales + at); }}"
        : $"PrefetchRow({cache}Cache + (long)({slot}) * KvWidth + head * HeadDim, HeadDim * sizeof(float));";

    /// <summary>A kv8 kernel's key scratch row, free while rows are written: a rotated key's way into the cache (f32 caches are written in place).</summary>
    public string KeyScratch => "keyScratch";

    /// <summary>Quantizes the head_dim values at <paramref name="source"/> into head <c>head</c> of kv8 <paramref name="cache"/> pool row <c>slot</c>.</summary>
    public void Write(string cache, string source) =>
        kernel.Writer.Line($"Quantize({source}, {cache}Scales, {cache}Codes, slot, head);");

    /// <summary>The prefetch helper, and the quantize and widen helpers a kv8 kernel calls.</summary>
    public void RenderHelpers()
    {
        var w = kernel.Writer;
        // A hint never faults. The last byte's line too, for a row that does not start on a line.
        using (w.Block("static void PrefetchRow(void* row, int bytes)"))
        {
            w.Line("for (int i = 0; i < bytes; i += 64) Sse.Prefetch0((byte*)row + i);");
            w.Line("Sse.Prefetch0((byte*)row + bytes - 1);");
        }
        if (!IsInt8) return;
        // ActivationQuantization.QuantizeGroup, in the same f32 operations and order.
        using (w.Block("static void Quantize(float* row, float* scales, sbyte* codes, int slot, int head)"))
        {
            w.Line("long at = (long)slot * KvHeads + head;");
            w.Line("sbyte* to = codes + at * HeadDim;");
            w.Line("float max = 0f;");
            w.Line("for (int i = 0; i < HeadDim; i++) max = MathF.Max(max, MathF.Abs(row[i]));");
            w.Line("float inverse = max == 0f ? 0f : 127f / max;");
            w.Line("for (int i = 0; i < HeadDim; i++) to[i] = (sbyte)(int)MathF.Round(row[i] * inverse);");
            w.Line("scales[at] = max / 127f;");
        }
        var d = kernel.Dialect;
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static void Widen(sbyte* codes, float* row)"))
            kernel.ForLanes("i", "0", "HeadDim", checked((int)kernel.Instance.Operands[keyOperand].Shape[3].Size),
                () => w.Line(d.Store($"{d.VectorClass}.ConvertToSingle({WidenedCodes(d, "codes + i")})", "row + i")),
                () => w.Line("row[i] = codes[i];"));
    }

    /// <summary>A lane count of int8 codes at <paramref name="pointer"/>, sign-extended to the dialect's 32-bit lanes.</summary>
    private static string WidenedCodes(CpuDialect d, string pointer) => d.Lanes switch
    {
        // One vpmovsxbd each: the portable Vector64 load and WidenLower chain ran about 4× slower.
        8 => $"Avx2.ConvertToVector256Int32({pointer})",
        16 => $"Avx512F.ConvertToVector512Int32(Vector128.Load({pointer}))",
        _ => throw new TargetException($"kv8 attention: no int8 widening for {d.Lanes} f32 lanes"),
    };
}
