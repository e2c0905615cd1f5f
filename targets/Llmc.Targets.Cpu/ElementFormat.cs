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
    /// Whether a kernel should read this format two elements to a 32-bit lane: 2 × Lanes of them loaded as one vector
    /// (<see cref="LoadPairs"/>), the even and the odd elements taken from it (<see cref="EvenScaled"/>,
    /// <see cref="OddScaled"/>) and paired with the even and odd elements of the other operand, which costs that
    /// operand two permutes a step. f16 only: its widening (two shifts and a mask on top of the zero-extension) is
    /// dearer than the permutes; bf16's (one shift) is not: paired, the SmolLM2-135M config's bf16 prefill of 128 tokens
    /// ran 0.81-0.88 of unpaired.
    /// </summary>
    public virtual bool PairsElements => false;

    /// <summary>
    /// e such that <see cref="EvenScaled"/> and <see cref="OddScaled"/> read the values times 2^−e, exactly: the part of
    /// a conversion a kernel may fold into a multiply it does anyway, or apply once to a sum (0 when read as they are).
    /// </summary>
    public virtual int ScaleExponent => 0;

    /// <summary>The 32-bit lanes holding elements <c>pointer[index..index + 2·Lanes]</c>, two to a lane (<see cref="PairsElements"/>).</summary>
    public virtual string LoadPairs(CpuDialect dialect, string pointer, string index) =>
        throw new InvalidOperationException($"{GetType().Name} does not pair elements");

    /// <summary>The even elements of <see cref="LoadPairs"/>'s <paramref name="pairs"/> as f32, times 2^−<see cref="ScaleExponent"/>.</summary>
    public virtual string EvenScaled(CpuDialect dialect, string pairs) =>
        throw new InvalidOperationException($"{GetType().Name} does not pair elements");

    /// <summary>The odd elements of <see cref="LoadPairs"/>'s <paramref name="pairs"/> as f32, times 2^−<see cref="ScaleExponent"/>.</summary>
    public virtual string OddScaled(CpuDialect dialect, string pairs) =>
        throw new InvalidOperationException($"{GetType().Name} does not pair elements");

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
    /// by 3, the sign stays at bit 31 and exponent and mantissa land at bits 27..13 (the odd element of a pair, already at
    /// the top of its lane, needs only the shift); masking bits 30..28 off leaves an f32
    /// whose exponent is 112 too small (<see cref="ScaleExponent"/>), which one multiply by 2^112 corrects, subnormals
    /// included. Infinities and NaNs do not occur: f16 weight storage refuses values outside the f16 range. (One
    /// pmaddwd by 2^13 makes the same bits as the two shifts, but on Zen 5 it competes with the multiply-adds for the
    /// same pipes: the 1B config's f16 decode and prefill both ran about 8 % slower with it.)
    /// </summary>
    private sealed class F16Elements : HalfElements
    {
        public static readonly F16Elements Instance = new();

        public override bool PairsElements => true;

        public override int ScaleExponent => 112;

        // Little-endian: the even element is the low half of its lane.
        public override string LoadPairs(CpuDialect dialect, string pointer, string index) =>
            $"{dialect.VectorClass}.Load((int*)({pointer} + {index}))";

        /// <summary>f16 bits at the top of i32 lanes (the low half ignored) as an f32 2^−112 times their value.</summary>
        private static string Rebased(CpuDialect dialect, string topAligned) =>
            $"(({topAligned}).AsInt32() >> 3 & {dialect.VectorClass}.Create(unchecked((int)0x8FFFE000))).AsSingle()";

        public override string EvenScaled(CpuDialect dialect, string pairs) => Rebased(dialect, $"{pairs} << 16");

        public override string OddScaled(CpuDialect dialect, string pairs) => Rebased(dialect, pairs);

        public override string LoadVector(CpuDialect dialect, string pointer, string index) =>
            $"({Rebased(dialect, $"{Widened(dialect, pointer, index)} << 16")} * {dialect.VectorClass}.Create({PowerOfTwo(ScaleExponent)}))";

        public override string LoadScalar(string pointer, string index) => $"(float)BitConverter.UInt16BitsToHalf({pointer}[{index}])";
    }
}
