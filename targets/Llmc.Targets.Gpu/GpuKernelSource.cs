using System.Globalization;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu;

/// <summary>
/// One GPU kernel being rendered: its instance, shape, dialect and writer, and the phrases every template shares
/// (sizes with symbols, element loads per dtype from 32-bit words, f32 stores, workgroup reductions).
/// Arguments are numbered as in the plan step: operands, then the result.
/// </summary>
public sealed class GpuKernelSource(SourceWriter writer, GpuDialect dialect, KernelInstance instance, GpuKernelShape shape)
{
    public SourceWriter Writer { get; } = writer;

    public GpuDialect Dialect { get; } = dialect;

    public KernelInstance Instance { get; } = instance;

    public GpuKernelShape Shape { get; } = shape;

    public string Name => Instance.Name;

    /// <summary>The result's argument number.</summary>
    public int ResultArgument => Instance.Operands.Count;

    /// <summary>A dimension as an int expression: a literal, or the run-time symbol.</summary>
    public string Size(Dim dim) =>
        dim.IsSymbolic ? Dialect.Symbol(dim.Symbol!) : dim.Size.ToString(CultureInfo.InvariantCulture);

    public void Constant(string name, long value) =>
        Writer.Line($"const int {name} = {checked((int)value).ToString(CultureInfo.InvariantCulture)};");

    public void Constant(string name, double value) => Writer.Line($"const float {name} = {Dialect.Float(value)};");

    /// <summary>Element <paramref name="index"/> of a float operand (f32, f16 or bf16) as an f32 expression; the index is repeated, so keep it simple.</summary>
    public string Load(int argument, string index) => Load(argument, Instance.Operands[argument].DType, index);

    /// <summary>
    /// Element <paramref name="index"/> of operand <paramref name="argument"/> read as an array of
    /// <paramref name="elements"/> (f32, f16 or bf16): how a packed operand's float planes (quantized weights' scales) are read.
    /// </summary>
    public string Load(int argument, DType elements, string index) => elements switch
    {
        DType.F32 => Dialect.BitsToFloat(Dialect.Word(argument, index)),
        DType.F16 => Dialect.HalfToFloat($"({Dialect.Word(argument, $"({index}) >> 1")} >> ((({index}) & 1) * 16))"),
        DType.BF16 => Dialect.BitsToFloat($"(({index}) & 1) != 0 ? {Dialect.Word(argument, $"({index}) >> 1")} & 0xffff0000u : {Dialect.Word(argument, $"({index}) >> 1")} << 16"),
        var t => throw new TargetException($"{Instance.Name}: GPU kernels cannot read {t.Name()} operand {argument} as floats"),
    };

    /// <summary>
    /// The scale (or with <paramref name="offset"/> the stored offset) of group <paramref name="group"/> of row
    /// <paramref name="row"/> of quantized operand <paramref name="argument"/>, an [n, k] tensor of
    /// <paramref name="format"/>, as an f32 expression: its plane's f16 or f32 element, or for a super-blocked format its
    /// signed 8-bit factor times its super-block's f16 value, exact in f32 as <see cref="QuantView.Scale"/> gives it.
    /// The expressions are repeated, so keep them simple.
    /// </summary>
    public string GroupScale(int argument, QuantFormat format, int n, int k, string row, string group, bool offset = false)
    {
        var groups = format.Groups(k);
        var plane = offset ? $"{Int(format.OffsetsOffset(n, k) / format.ScaleBytes)} + " : "";
        var index = $"{plane}({row}) * {Int(groups)} + ({group})";
        if (!format.IsSuperBlocked) return Load(argument, format.ScaleType, index);
        var d = Dialect;
        // The factor's byte of its word moved to the top, then shifted down arithmetically: sign-extended.
        var word = d.Word(argument, $"({index}) >> 2");
        var factor = $"({d.Cast("int", $"{word} << {d.Cast(d.Uint, $"24 - 8 * (({index}) & 3)")}")} >> 24)";
        var supers = (offset ? format.SuperOffsetsOffset(n, k) : format.SupersOffset(n, k)) / sizeof(ushort);
        var super = Load(argument, DType.F16, $"{Int(supers)} + ({row}) * {Int(format.Supers(k))} + ({group}) / {Int(format.GroupsPerSuper)}");
        return $"({super} * {d.Cast("float", factor)})";
    }

    private static string Int(long value) => checked((int)value).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The two f32 values in the 32-bit word <paramref name="word"/> (a plain name) of an f16 or bf16 operand: the
    /// element at the even index (low half) and the one after it (high half).
    /// </summary>
    public (string Low, string High) Unpack(int argument, string word) => Instance.Operands[argument].DType switch
    {
        Ir.DType.F16 => (Dialect.HalfToFloat(word), Dialect.HalfToFloat($"({word} >> 16)")),
        Ir.DType.BF16 => (Dialect.BitsToFloat($"({word} << 16)"), Dialect.BitsToFloat($"({word} & 0xffff0000u)")),
        var t => throw new TargetException($"{Instance.Name}: operand {argument} ({t.Name()}) does not pack two elements per word"),
    };

    /// <summary>
    /// Declares float <paramref name="result"/> = <paramref name="numerator"/> / <paramref name="denominator"/>
    /// correctly rounded (as the CPU and the reference divide): GPU division may be off by an ulp or two, so the quotient
    /// is corrected once by its residual numerator − quotient·denominator. The residual is computed exactly without
    /// trusting fma to round once (Vulkan does not promise it): both factors are split by masking into 12-bit halves
    /// whose products are exact (Dekker's product).
    /// </summary>
    public void Divide(string result, string numerator, string denominator)
    {
        var (w, p) = (Writer, Dialect.PreciseFloat);
        w.Line($"{p} {result} = {numerator} / {denominator};");
        using (w.Block(""))
        {
            w.Line($"float divisor = {denominator};");
            w.Line($"float qHead = {Head(result)}, dHead = {Head("divisor")};");
            w.Line($"{p} qTail = {result} - qHead;");
            w.Line($"{p} dTail = divisor - dHead;");
            w.Line($"{p} product = {result} * divisor;");
            w.Line($"{p} error = ((qHead * dHead - product) + qHead * dTail + qTail * dHead) + qTail * dTail;");
            w.Line($"{p} residual = ({numerator} - product) - error;");
            w.Line($"{result} = {result} + residual / divisor;");
        }
    }

    // The float with the low 12 mantissa bits of value cleared: 12 significant bits.
    private string Head(string value) => Dialect.BitsToFloat($"{Dialect.FloatToBits(value)} & 0xfffff000u");

    /// <summary>Element <paramref name="index"/> of an i32 operand.</summary>
    public string LoadInt(int argument, string index) => Dialect.Cast("int", Dialect.Word(argument, index));

    /// <summary>The statement storing f32 <paramref name="value"/> at element <paramref name="index"/> of argument <paramref name="argument"/>.</summary>
    public string Store(int argument, string index, string value) => $"{Dialect.Word(argument, index)} = {Dialect.FloatToBits(value)};";

    /// <summary>The statement storing f32 <paramref name="value"/> at element <paramref name="index"/> of the result.</summary>
    public string StoreResult(string index, string value) => Store(ResultArgument, index, value);

    /// <summary>
    /// Combines <paramref name="value"/> over each run of <paramref name="width"/> consecutive threads (a power of two
    /// dividing the local size); every thread of a run then gets the total, returned as an expression. All threads must
    /// get here; read the total before the next barrier-protected reuse of <paramref name="shared"/>, and put a barrier
    /// between reading and reusing it. Where the dialect has fixed warps (<see cref="GpuDialect.WarpSize"/>, CUDA), any
    /// run is reduced with warp shuffles and shared memory only combines the warps of a run wider than one warp. Else
    /// whole-workgroup reductions use the dialect's subgroup operation where it has one (shared memory then only
    /// combines the subgroups' totals); narrower runs use a shared-memory tree, because which threads share a subgroup
    /// is the device's choice.
    /// </summary>
    public string Reduce(string shared, string value, int width, Func<string, string, string> combine)
    {
        if (width <= 0 || (width & (width - 1)) != 0 || Shape.LocalSize % width != 0)
            throw new TargetException($"{Name}: reduction width {width} must be a power of two dividing {Shape.LocalSize}");
        if (Dialect.WarpSize is { } warp) return WarpReduce(shared, value, width, warp, combine);
        return width == Shape.LocalSize && Dialect.SubgroupReduce(value, combine) is { } subgroupTotal
            ? SubgroupReduce(shared, subgroupTotal, combine)
            : TreeReduce(shared, value, width, combine);
    }

    /// <summary>
    /// Whether <see cref="Reduce"/> over runs of <paramref name="width"/> threads keeps to registers (warp shuffles
    /// alone), so no barrier need guard reusing its shared array.
    /// </summary>
    public bool ReducesInRegisters(int width) => Dialect.WarpSize is { } warp && width <= warp;

    // Butterfly shuffles within each aligned run of up to a warp (lane ^ offset stays inside the run, and every lane
    // ends with the same total); a run of several warps then has each warp's first lane store its total at
    // shared[warp index], and every thread combines its run's warps itself, so one barrier suffices.
    private string WarpReduce(string shared, string value, int width, int warp, Func<string, string, string> combine)
    {
        if (Shape.LocalSize % warp != 0)
            throw new TargetException($"{Name}: warp reductions need a block of whole {warp}-thread warps, got {Shape.LocalSize} threads");
        var (w, lid) = (Writer, Dialect.LocalId);
        var total = $"{shared}Total{_reductions++}";
        w.Line($"float {total} = {value};");
        w.Line($"for (int offset = {Math.Min(width, warp) / 2}; offset > 0; offset >>= 1) {total} = {combine(total, Dialect.ShuffleXor(total, "offset"))};");
        if (ReducesInRegisters(width)) return total;
        w.Line($"if (({lid} & {warp - 1}) == 0) {shared}[{lid} / {warp}] = {total};");
        w.Line(Dialect.Barrier);
        w.Line($"int {total}Warp = ({lid} & {~(width - 1)}) / {warp};");
        w.Line($"{total} = {shared}[{total}Warp];");
        w.Line($"for (int s = 1; s < {width / warp}; s++) {total} = {combine(total, $"{shared}[{total}Warp + s]")};");
        return total;
    }

    private string TreeReduce(string shared, string value, int width, Func<string, string, string> combine)
    {
        var (w, lid) = (Writer, Dialect.LocalId);
        w.Line($"{shared}[{lid}] = {value};");
        w.Line(Dialect.Barrier);
        using (w.Block($"for (int stride = {width / 2}; stride > 0; stride >>= 1)"))
        {
            w.Line($"if (({lid} & {width - 1}) < stride) {shared}[{lid}] = {combine($"{shared}[{lid}]", $"{shared}[{lid} + stride]")};");
            w.Line(Dialect.Barrier);
        }
        return $"{shared}[{lid} & {~(width - 1)}]";
    }

    // Each subgroup's first lane stores its subgroup's total at shared[subgroup id]; every thread then combines
    // those (few) totals itself, so no second barrier is needed and any subgroup size or layout is right.
    private string SubgroupReduce(string shared, string subgroupTotal, Func<string, string, string> combine)
    {
        var (w, (id, lane, count)) = (Writer, Dialect.Subgroup);
        var total = $"{shared}Total{_reductions++}";
        w.Line($"float {total} = {subgroupTotal};");
        w.Line($"if ({lane} == 0) {shared}[{id}] = {total};");
        w.Line(Dialect.Barrier);
        w.Line($"{total} = {shared}[0];");
        w.Line($"for (int s = 1; s < {count}; s++) {total} = {combine(total, $"{shared}[s]")};");
        return total;
    }

    private int _reductions;

    /// <summary><see cref="Reduce"/> with addition.</summary>
    public string Sum(string shared, string value, int width) => Reduce(shared, value, width, (a, b) => $"{a} + {b}");
}
