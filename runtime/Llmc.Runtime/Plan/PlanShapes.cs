using System.Globalization;
using Llmc.Ir;

namespace Llmc.Runtime.Plan;

/// <summary>Sizes of plan buffers once their symbols are bound to their largest values.</summary>
public static class PlanShapes
{
    /// <summary>Bytes a buffer needs when every symbol is at most its bound.</summary>
    public static long Bytes(PlanBuffer buffer, SymbolBounds bounds)
    {
        var dims = buffer.Shape.Select(d => int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : bounds[d]).ToArray();
        // Quantized weights and the kv8 cache are packed: their size is the format's, not a per-element one.
        if (DTypes.TryParse(buffer.DType, out var dtype) && dtype.IsPacked())
            return dtype.PackedBytes(dims);
        return dims.Aggregate(1L, (n, d) => n * d) * ElementSize(buffer.DType);
    }

    /// <summary>Bytes of a buffer whose symbols are only a step's rows (<c>seq</c>, <c>out</c>), as activations and inputs but the block tables are.</summary>
    public static long Bytes(PlanBuffer buffer, int maxSeq) => Bytes(buffer, SymbolBounds.Rows(maxSeq));

    /// <summary>Bytes the state buffers (every layer's K and V pools) hold per cached position.</summary>
    public static long KvBytesPerPosition(ExecutionPlan plan)
    {
        var onePosition = new SymbolBounds(plan.MaxSeq, 0, new KvPoolSize(1, 1));
        return plan.Buffers.Where(b => b.Kind == BufferKind.State).Sum(b => Bytes(b, onePosition));
    }

    public static int ElementSize(string dtype) => dtype switch
    {
        "f32" or "i32" => 4,
        "f16" or "bf16" => 2,
        _ => throw new LlmcException($"unknown buffer dtype '{dtype}'"),
    };
}
