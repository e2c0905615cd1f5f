using System.Globalization;
using Llmc.Ir;

namespace Llmc.Runtime.Plan;

/// <summary>Sizes of plan buffers once their symbols are bound to their largest values.</summary>
public static class PlanShapes
{
    /// <summary>Bytes a buffer needs when every symbol (<c>seq</c>, <c>out</c>) is at most <paramref name="maxSeq"/>.</summary>
    public static long Bytes(PlanBuffer buffer, int maxSeq)
    {
        var dims = buffer.Shape.Select(d => int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : maxSeq).ToArray();
        // Quantized weights and the kv8 cache are packed: their size is the format's, not a per-element one.
        if (DTypes.TryParse(buffer.DType, out var dtype) && dtype.IsPacked())
            return dtype.PackedBytes(dims);
        return dims.Aggregate(1L, (n, d) => n * d) * ElementSize(buffer.DType);
    }

    public static int ElementSize(string dtype) => dtype switch
    {
        "f32" or "i32" => 4,
        "f16" or "bf16" => 2,
        _ => throw new LlmcException($"unknown buffer dtype '{dtype}'"),
    };
}
