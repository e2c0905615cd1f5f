namespace Llmc.Ir;

/// <summary>Element types of tensors. Quantized weight types are added by the quantization work.</summary>
public enum DType
{
    F32,
    F16,
    BF16,
    I32,
}

public static class DTypes
{
    public static int SizeOf(this DType t) => t switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static string Name(this DType t) => t switch
    {
        DType.F32 => "f32",
        DType.F16 => "f16",
        DType.BF16 => "bf16",
        DType.I32 => "i32",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool IsFloat(this DType t) => t is DType.F32 or DType.F16 or DType.BF16;

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
