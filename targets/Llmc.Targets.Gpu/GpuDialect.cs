using System.Globalization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu;

/// <summary>
/// A SIMT kernel language (GLSL compute, CUDA C). The shared templates write C-like statements and ask the dialect
/// only for what the languages spell differently: the kernel's frame and argument access, thread and group ids,
/// barriers, bit casts, half conversions and math. Every buffer is an array of 32-bit words (docs/gpu-kernels.md);
/// all ids and sizes are <c>int</c> expressions.
/// </summary>
public abstract record GpuDialect(string Target) : Dialect(Target)
{
    /// <summary>This thread's index in its workgroup (block).</summary>
    public abstract string LocalId { get; }

    /// <summary>The workgroup's x index.</summary>
    public abstract string GroupX { get; }

    /// <summary>The workgroup's y index.</summary>
    public abstract string GroupY { get; }

    /// <summary>The number of workgroups along x.</summary>
    public abstract string GroupCountX { get; }

    /// <summary>The threads per workgroup.</summary>
    public abstract string LocalCount { get; }

    public override string TaskIndex => $"({GroupX} * {LocalCount} + {LocalId})";

    public override string TaskCount => $"({GroupCountX} * {LocalCount})";

    /// <summary>A statement that waits for every thread of the workgroup and makes its shared-memory writes visible.</summary>
    public abstract string Barrier { get; }

    /// <summary>
    /// A line before a constant-trip loop asking the compiler to unroll it whole (null where the dialect gives none):
    /// the loops over a tile's rows index register arrays (accumulators), which stay in registers only when every index
    /// is a constant.
    /// </summary>
    public abstract string? UnrollHint { get; }

    /// <summary>Word <paramref name="index"/> of kernel argument <paramref name="argument"/>, readable and (for outputs) assignable.</summary>
    public abstract string Word(int argument, string index);

    /// <summary>The run-time value of a plan symbol (one of <see cref="Runtime.Plan.PlanSymbols.Names"/>).</summary>
    public abstract string Symbol(string name);

    /// <summary>The unsigned 32-bit integer type.</summary>
    public virtual string Uint => "uint";

    /// <summary>A declaration prefix for a float whose fused multiply-adds must not be split (exact residuals).</summary>
    public virtual string PreciseFloat => "float";

    /// <summary>A value converted to <paramref name="type"/> (<c>int</c>, <c>float</c> or <see cref="Uint"/>).</summary>
    public virtual string Cast(string type, string value) => $"{type}({value})";

    /// <summary>The float whose bits are the <see cref="Uint"/> <paramref name="bits"/>.</summary>
    public abstract string BitsToFloat(string bits);

    /// <summary>The bits of a float as a <see cref="Uint"/>.</summary>
    public abstract string FloatToBits(string value);

    /// <summary>The f16 held in the low 16 bits of the <see cref="Uint"/> <paramref name="bits"/>, as a float.</summary>
    public abstract string HalfToFloat(string bits);

    /// <summary><c>a·b + c</c> with one rounding.</summary>
    public abstract string Fma(string a, string b, string c);

    public abstract string Max(string a, string b);

    public abstract string Min(string a, string b);

    public abstract string Abs(string value);

    /// <summary>The nearest integral float, ties to even (as <c>MathF.Round</c>).</summary>
    public abstract string RoundEven(string value);

    /// <summary>
    /// Σ over the four bytes of <paramref name="unsigned"/> (as 0..255) times those of <paramref name="signed"/>
    /// (as −128..127), an int. Both arguments must be plain names: the portable spelling repeats them.
    /// </summary>
    public virtual string DotBytes(string unsigned, string signed) =>
        string.Join(" + ", Enumerable.Range(0, 4).Select(b =>
            $"{Cast("int", $"({unsigned} >> {8 * b}) & 255u")} * (({Cast("int", signed)} << {24 - 8 * b}) >> 24)"));

    /// <summary>A statement that atomically ORs the <see cref="Uint"/> <paramref name="value"/> into <paramref name="word"/> (a <see cref="Word"/>).</summary>
    public abstract string AtomicOr(string word, string value);

    /// <summary>A statement that atomically ANDs the <see cref="Uint"/> <paramref name="value"/> into <paramref name="word"/> (a <see cref="Word"/>).</summary>
    public abstract string AtomicAnd(string word, string value);

    /// <summary>
    /// The combination of <paramref name="value"/> over this thread's subgroup (warp) when <paramref name="combine"/> is one
    /// the language has a subgroup operation for (addition, <see cref="Max"/>); null where the dialect keeps reductions
    /// in shared memory (the default).
    /// </summary>
    public virtual string? SubgroupReduce(string value, Func<string, string, string> combine) => null;

    /// <summary>This thread's subgroup index in its workgroup, its lane in that subgroup, and the workgroup's subgroup count (with <see cref="SubgroupReduce"/>).</summary>
    public virtual (string Id, string Lane, string Count) Subgroup =>
        throw new TargetException($"{Target}: this dialect has no subgroup operations");

    /// <summary>
    /// The threads per warp where the language fixes which threads share one (CUDA: threads 32w..32w+31 of a block are
    /// warp w), so a run of consecutive threads within a warp can combine values with <see cref="ShuffleXor"/> alone;
    /// null where the device chooses (Vulkan's subgroups).
    /// </summary>
    public virtual int? WarpSize => null;

    /// <summary>
    /// The float <paramref name="value"/> of the thread whose lane is this thread's lane XOR <paramref name="laneMask"/>
    /// (an int below <see cref="WarpSize"/>); every thread of the warp must execute it.
    /// </summary>
    public virtual string ShuffleXor(string value, string laneMask) =>
        throw new TargetException($"{Target}: this dialect has no warp shuffles");

    /// <summary>A float literal.</summary>
    public virtual string Float(double value)
    {
        var f = (float)value;
        if (float.IsNegativeInfinity(f)) return BitsToFloat("0xff800000u");
        if (float.IsPositiveInfinity(f)) return BitsToFloat("0x7f800000u");
        var text = f.ToString("R", CultureInfo.InvariantCulture);
        return (text.Contains('.') || text.Contains('E') ? text : text + ".0") + "f";
    }

    /// <summary>
    /// Writes one whole kernel: whatever the language needs before it (arguments, symbols, shared arrays), its entry
    /// point, and the body that <paramref name="body"/> writes inside the entry's braces.
    /// </summary>
    public abstract void WriteKernel(SourceWriter writer, GpuKernelSignature signature, Action body);
}
