using Llmc.Ir;

namespace Llmc.Targets.Cpu;

/// <summary>
/// How a float operand's elements are stored and read as f32. Templates load every float operand through this,
/// so an f16, bf16 or block-quantized weight variant is one more subclass, not another copy of each template.
/// </summary>
public abstract class ElementFormat
{
    /// <summary>The C# element type the operand's pointer is declared with.</summary>
    public abstract string ElementType { get; }

    /// <summary>An f32 vector of the dialect's lane count read from <c>pointer[index..]</c>.</summary>
    public abstract string LoadVector(CpuDialect dialect, string pointer, string index);

    /// <summary>One f32 read from <c>pointer[index]</c>.</summary>
    public abstract string LoadScalar(string pointer, string index);

    /// <summary>
    /// e such that <see cref="LoadScaledVector"/> reads the values times 2^−e, exactly: the part of a conversion a
    /// kernel may fold into a multiply it does anyway, or apply once to a sum (0 when the values are read as they are).
    /// </summary>
    public virtual int ScaleExponent => 0;

    /// <summary>The vector of <see cref="LoadVector"/> times 2^−<see cref="ScaleExponent"/>, without the multiply that undoes it.</summary>
    public virtual string LoadScaledVector(CpuDialect dialect, string pointer, string index) => LoadVector(dialect, pointer, index);

    /// <summary>2^<paramref name="exponent"/> as a C# float literal (exact for |exponent| ≤ 127).</summary>
    public static string PowerOfTwo(int exponent) =>
        Math.ScaleB(1.0, exponent).ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "f";

    public static ElementFormat For(DType dtype) => dtype switch
    {
        DType.F32 => F32Elements.Instance,
        DType.F16 => F16Elements.Instance,
        DType.BF16 => BF16Elements.Instance,
        _ => throw new TargetException($"CPU kernels do not read {dtype.Name()} tensors yet"),
    };

    private sealed class F32Elements : ElementFormat
    {
        public static readonly F32Elements Instance = new();

        public override string ElementType => "float";

        public override string LoadVector(CpuDialect dialect, string pointer, string index) => dialect.Load($"{pointer} + {index}");

        public override string LoadScalar(string pointer, string index) => $"{pointer}[{index}]";
    }

    /// <summary>16-bit elements: a half-width vector of them, zero-extended to 32-bit lanes.</summary>
    private abstract class HalfElements : ElementFormat
    {
        public override string ElementType => "ushort";

        protected static string Widened(CpuDialect dialect, string pointer, string index)
        {
            var half = $"Vector{dialect.Lanes * 16}"; // the vector class of Lanes 16-bit elements
            return $"{dialect.VectorClass}.WidenLower({half}.Load({pointer} + {index}).To{dialect.VectorClass}Unsafe())";
        }
    }

    /// <summary>bf16 is the upper half of an f32: shift it back into place.</summary>
    private sealed class BF16Elements : HalfElements
    {
        public static readonly BF16Elements Instance = new();

        public override string LoadVector(CpuDialect dialect, string pointer, string index) =>
            $"({Widened(dialect, pointer, index)} << 16).AsSingle()";

        public override string LoadScalar(string pointer, string index) => $"BitConverter.Int32BitsToSingle({pointer}[{index}] << 16)";
    }

    /// <summary>
    /// IEEE f16 without F16C (which .NET does not expose): shifted to the top of the lane and arithmetic-shifted right
    /// by 3, the sign stays at bit 31 and exponent and mantissa land at bits 27..13; masking bits 30..28 off leaves an f32
    /// whose exponent is 112 too small (<see cref="ScaleExponent"/>), which one multiply by 2^112 corrects, subnormals
    /// included. Infinities and NaNs do not occur: f16 weight storage refuses values outside the f16 range. (One
    /// pmaddwd by 2^13 makes the same bits as the two shifts, but on Zen 5 it competes with the multiply-adds for the
    /// same pipes: the 1B config's f16 decode and prefill both ran about 8 % slower with it.)
    /// </summary>
    private sealed class F16Elements : HalfElements
    {
        public static readonly F16Elements Instance = new();

        public override int ScaleExponent => 112;

        public override string LoadScaledVector(CpuDialect dialect, string pointer, string index)
        {
            var c = dialect.VectorClass;
            return $"((({Widened(dialect, pointer, index)} << 16).AsInt32() >> 3 & {c}.Create(unchecked((int)0x8FFFE000))).AsSingle())";
        }

        public override string LoadVector(CpuDialect dialect, string pointer, string index) =>
            $"({LoadScaledVector(dialect, pointer, index)} * {dialect.VectorClass}.Create({PowerOfTwo(ScaleExponent)}))";

        public override string LoadScalar(string pointer, string index) => $"(float)BitConverter.UInt16BitsToHalf({pointer}[{index}])";
    }
}
