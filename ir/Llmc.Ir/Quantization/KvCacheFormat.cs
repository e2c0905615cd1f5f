namespace Llmc.Ir.Quantization;

/// <summary>
/// How attention's KV cache is stored. <c>f32[positions, kv_heads·head_dim]</c>, or <c>kv8[positions, kv_heads, head_dim]</c>:
/// int8 codes with one f32 scale per (position, kv head), each head's row rounded exactly as
/// <see cref="ActivationQuantization.QuantizeGroup"/> rounds a group (value = scale · code). A kv8 tensor is
/// <list type="number">
/// <item>scales: positions·kv_heads f32, row-major;</item>
/// <item>codes: positions·kv_heads·head_dim signed bytes, row-major, right after the scales.</item>
/// </list>
/// </summary>
public static class KvCacheFormat
{
    /// <summary>The storage names <c>llmc build --kv-cache</c> takes, and their dtypes.</summary>
    public static IReadOnlyDictionary<string, DType> Storages { get; } = new Dictionary<string, DType>
    {
        ["f32"] = DType.F32,
        ["int8"] = DType.KV8,
    };

    /// <summary>The cache type of one attention layer in <paramref name="storage"/> (f32 or kv8).</summary>
    public static TensorType CacheType(DType storage, int positions, int kvHeads, int headDim) => storage switch
    {
        DType.F32 => new TensorType(DType.F32, positions, kvHeads * headDim),
        DType.KV8 => new TensorType(DType.KV8, positions, kvHeads, headDim),
        _ => throw new IrException($"a KV cache is stored as f32 or kv8, not {storage.Name()}"),
    };

    /// <summary>Bytes of a kv8 tensor of shape [positions, kv_heads, head_dim].</summary>
    public static long Bytes(IReadOnlyList<int> shape)
    {
        if (shape.Count != 3) throw new IrException($"a kv8 tensor has shape [positions, kv_heads, head_dim], got rank {shape.Count}");
        return CodesOffset(shape[0], shape[1]) + (long)shape[0] * shape[1] * shape[2];
    }

    /// <summary>Where the codes start: after the scales.</summary>
    public static long CodesOffset(int positions, int kvHeads) => (long)positions * kvHeads * sizeof(float);
}
