using Llmc.Ir;

namespace Llmc.Targets.Conformance;

/// <summary>
/// f16 and bf16 values as the cases hold them: on the host as floats already representable in the type (bf16 by
/// truncation, so every case value is exact), on the device as their 16-bit patterns.
/// </summary>
public static class HalfFloats
{
    /// <summary>The value of <paramref name="dtype"/> nearest <paramref name="v"/> (bf16: its upper 16 bits); f32 as it is.</summary>
    public static float Representable(DType dtype, float v) => dtype switch
    {
        DType.F16 => (float)(Half)v,
        DType.BF16 => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) & unchecked((int)0xffff0000)),
        _ => v,
    };

    /// <summary>The 16-bit pattern of <paramref name="v"/> (already representable) in <paramref name="dtype"/>.</summary>
    public static ushort Bits(DType dtype, float v) => dtype == DType.F16
        ? BitConverter.HalfToUInt16Bits((Half)v)
        : (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);
}
