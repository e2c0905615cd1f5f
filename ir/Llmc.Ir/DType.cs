using Llmc.Ir.Quantization;

namespace Llmc.Ir;

/// <summary>
/// Element types of tensors. The quantized ones (<c>q8g32</c> … <c>q6g128</c>) are packed weight formats whose
/// scheme, group size and scale type <see cref="QuantFormat"/> describes; they have no per-element size. <c>kv8</c> is the int8 KV
/// cache (<see cref="KvCacheFormat"/>), also packed.
/// </summary>
public enum DType
{
    F32,
    F16,
    BF16,
    I32,
    Q8G32,
    Q8G64,
    Q8G128,
    Q4G32,
    Q4G64,
    Q4G128,
    Q4AG32,
    Q4AG64,
    Q4AG128,
    Q8AG32S32,
    Q8AG64S32,
    Q8AG128S32,
    Q8G16K,
    Q4AG32K,
    Q8AG32K,
    Q6G32,
    Q6G64,
    Q6G128,
    KV8,
}

public static class DTypes
{
    public static int SizeOf(this DType t) => t switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        _ when t.IsQuantized() => throw new IrException($"{t.Name()} is a packed format; its size is QuantFormat.PackedBytes"),
        DType.KV8 => throw new IrException("kv8 is a packed format; its size is KvCacheFormat.Bytes"),
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static string Name(this DType t) => t switch
    {
        DType.F32 => "f32",
        DType.F16 => "f16",
        DType.BF16 => "bf16",
        DType.I32 => "i32",
        _ when t.IsQuantized() => QuantFormat.Of(t).Name,
        DType.KV8 => "kv8",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool IsFloat(this DType t) => t is DType.F32 or DType.F16 or DType.BF16;

    public static bool IsQuantized(this DType t) => t >= DType.Q8G32 && t <= DType.Q6G128;

    /// <summary>Stored as packed bytes (quantized weights, the kv8 cache) rather than as elements.</summary>
    public static bool IsPacked(this DType t) => t.IsQuantized() || t == DType.KV8;

    /// <summary>Bytes of a packed tensor of this type and shape.</summary>
    public static long PackedBytes(this DType t, IReadOnlyList<int> shape) => t switch
    {
        DType.KV8 => KvCacheFormat.Bytes(shape),
        _ when t.IsQuantized() && shape.Count == 2 => QuantFormat.Of(t).PackedBytes(shape[0], shape[1]),
        _ => throw new IrException($"{t.Name()}[{string.Join(", ", shape)}] is not a packed tensor"),
    };

    public static bool TryParse(string name, out DType type)
    {
        foreach (var t in Enum.GetValues<DType>())
        {
            if (t.Name() == name)
            {
                type = t;
                return true;
            }
        }
        type = default;
        return false;
    }

    public static DType Parse(string name) =>
        TryParse(name, out var t) ? t : throw new IrException($"unknown dtype '{name}'");
}
