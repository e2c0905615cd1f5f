namespace Llmc.Ir.Quantization;

/// <summary>
/// How attention's KV cache is stored: a pool of blocks of <c>block</c> positions each (<see cref="KvBlockTable"/>
/// says which block holds which position of a sequence). Pool row <c>block · block_size + offset</c> holds one
/// position's keys (or values) of every kv head. <c>f32[blocks, block, kv_heads·head_dim]</c>, or
/// <c>kv8[blocks, block, kv_heads, head_dim]</c>: int8 codes with one f32 scale per (row, kv head), each head's row
/// rounded exactly as <see cref="ActivationQuantization.QuantizeGroup"/> rounds a group (value = scale · code). A kv8
/// tensor is
/// <list type="number">
/// <item>scales: rows·kv_heads f32, row-major;</item>
/// <item>codes: rows·kv_heads·head_dim signed bytes, row-major, right after the scales.</item>
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

    /// <summary>
    /// The cache type of one attention layer in <paramref name="storage"/> (f32 or kv8): a pool of
    /// <paramref name="blocks"/> blocks of <paramref name="blockSize"/> positions (sizes, or the symbols <see cref="Dim.KvBlocks"/>
    /// and <see cref="Dim.KvBlock"/> that the runtime binds when it loads the engine).
    /// </summary>
    public static TensorType CacheType(DType storage, Dim blocks, Dim blockSize, int kvHeads, int headDim) => storage switch
    {
        DType.F32 => new TensorType(DType.F32, blocks, blockSize, kvHeads * headDim),
        DType.KV8 => new TensorType(DType.KV8, blocks, blockSize, kvHeads, headDim),
        _ => throw new IrException($"a KV cache is stored as f32 or kv8, not {storage.Name()}"),
    };

    /// <summary>The cache type the runtime sizes at load time: <see cref="Dim.KvBlocks"/> blocks of <see cref="Dim.KvBlock"/> positions.</summary>
    public static TensorType PoolType(DType storage, int kvHeads, int headDim) => CacheType(storage, Dim.KvBlocks, Dim.KvBlock, kvHeads, headDim);

    /// <summary>Whether <paramref name="t"/> is a KV cache of the given head layout (f32 or kv8, any pool size).</summary>
    public static bool IsCacheType(TensorType t, int kvHeads, int headDim) =>
        t.DType is DType.F32 or DType.KV8 && t.Rank > 1 && t == CacheType(t.DType, t[0], t[1], kvHeads, headDim);

    /// <summary>Bytes of a kv8 tensor of shape [blocks, block, kv_heads, head_dim].</summary>
    public static long Bytes(IReadOnlyList<int> shape)
    {
        if (shape.Count != 4) throw new IrException($"a kv8 tensor has shape [blocks, block, kv_heads, head_dim], got rank {shape.Count}");
        long rows = (long)shape[0] * shape[1];
        return CodesOffset(rows, shape[2]) + rows * shape[2] * shape[3];
    }

    /// <summary>Where the codes start in a kv8 pool of <paramref name="rows"/> rows: after the scales.</summary>
    public static long CodesOffset(long rows, int kvHeads) => rows * kvHeads * sizeof(float);
}
