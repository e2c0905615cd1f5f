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

    /// <summary>A <c>Vector128&lt;float&gt;</c> of the four values at <c>pointer[index..]</c>, whatever the dialect's width.</summary>
    public abstract string LoadVector128(string pointer, string index);

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

        public override string LoadVector128(string pointer, string index) => $"Vector128.Load({pointer} + {index})";
    }

    /// <summary>16-bit elements: a half-width vector of them, zero-extended to 32-bit lanes.</summary>
    private abstract class HalfElements : ElementFormat
    {
        public override string ElementType => "ushort";

        public override string LoadVector(CpuDialect dialect, string pointer, string index) =>
            FromWidened(dialect.VectorClass, Widened(dialect, pointer, index));

        public override string LoadVector128(string pointer, string index) =>
            FromWidened("Vector128", $"Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)({pointer} + {index})).AsUInt16())");

        /// <summary>The f32 values of a vector (class <paramref name="vectorClass"/>) of 16-bit elements zero-extended to u32 lanes.</summary>
        protected abstract string FromWidened(string vectorClass, string widened);

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

        protected override string FromWidened(string vectorClass, string widened) => $"({widened} << 16).AsSingle()";

        public override string LoadScalar(string pointer, string index) => $"BitConverter.Int32BitsToSingle({pointer}[{index}] << 16)";
    }

    /// <summary>
    /// IEEE f16 without F16C (which .NET does not expose): shifted to the top of the lane and arithmetic-shifted right
    /// by 3, the sign stays at bit 31 and exponent and mantissa land at bits 27..13; masking bits 30..28 off leaves an f32
    /// whose exponent is 112 too small (<see cref="ScaleExponent"/>), which one multiply by 2^112 corrects, subnormals
    /// included. Infinities and NaNs do not occur: f16 weight storage refuses values outside the f16 range.
    /// </summary>
    private sealed class F16Elements : HalfElements
    {
        public static readonly F16Elements Instance = new();

        public override int ScaleExponent => 112;

        public override string LoadScaledVector(CpuDialect dialect, string pointer, string index) =>
            Scaled(dialect.VectorClass, Widened(dialect, pointer, index));

        protected override string FromWidened(string vectorClass, string widened) =>
            $"({Scaled(vectorClass, widened)} * {vectorClass}.Create({PowerOfTwo(ScaleExponent)}))";

        private static string Scaled(string vectorClass, string widened) =>
            $"((({widened} << 16).AsInt32() >> 3 & {vectorClass}.Create(unchecked((int)0x8FFFE000))).AsSingle())";

        /// <summary>The same bit moves on one element (the ushort promotes to int, so the shift puts its sign at bit 31).</summary>
        public override string LoadScalar(string pointer, string index) =>
            $"(BitConverter.Int32BitsToSingle(({pointer}[{index}] << 16) >> 3 & unchecked((int)0x8FFFE000)) * {PowerOfTwo(ScaleExponent)})";
    }
}
