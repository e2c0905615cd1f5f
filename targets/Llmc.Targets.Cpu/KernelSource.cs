using System.Globalization;
using Llmc.Ir;
using Llmc.Runtime.Plan;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu;

/// <summary>
/// One kernel being rendered: its instance, the dialect, the writer, and the phrases every template shares
/// (operand pointers, sizes with symbols read from <c>dims</c>, work sharing, vector loops with scalar tails).
/// </summary>
public sealed class KernelSource(SourceWriter writer, CpuDialect dialect, KernelInstance instance)
{
    public SourceWriter Writer { get; } = writer;

    public CpuDialect Dialect { get; } = dialect;

    public KernelInstance Instance { get; } = instance;

    /// <summary>The kernel's method name.</summary>
    public string Name => Instance.Name;

    public ElementFormat Format(int operand) => ElementFormat.For(Instance.Operands[operand].DType);

    /// <summary>A dimension as a C# expression: a literal, or the run-time symbol from <c>dims</c>.</summary>
    public static string Size(Dim dim) =>
        dim.IsSymbolic ? $"dims[{PlanSymbols.IndexOf(dim.Symbol!)}]" : dim.Size.ToString(CultureInfo.InvariantCulture);

    /// <summary>The element count of <paramref name="type"/> as a C# expression, constants folded.</summary>
    public static string Count(TensorType type)
    {
        var constant = type.Shape.Where(d => !d.IsSymbolic).Aggregate(1L, (n, d) => n * d.Size);
        var factors = type.Shape.Where(d => d.IsSymbolic).Select(Size).ToList();
        if (constant != 1 || factors.Count == 0) factors.Add(constant.ToString(CultureInfo.InvariantCulture));
        return string.Join(" * ", factors);
    }

    /// <summary>Declares <c>name</c> as a typed pointer to operand <paramref name="operand"/>.</summary>
    public void Operand(string name, int operand)
    {
        var type = Instance.Operands[operand].DType == DType.I32 ? "int" : Format(operand).ElementType;
        Writer.Line($"{type}* {name} = ({type}*)args[{operand}];");
    }

    /// <summary>Declares <c>name</c> as the f32 result pointer, the argument after the operands.</summary>
    public void Result(string name) => Writer.Line($"float* {name} = (float*)args[{Instance.Operands.Count}];");

    public void Constant(string name, long value) =>
        Writer.Line($"const int {name} = {checked((int)value).ToString(CultureInfo.InvariantCulture)};");

    public void Constant(string name, double value) =>
        Writer.Line($"const float {name} = {((float)value).ToString("R", CultureInfo.InvariantCulture)}f;");

    /// <summary>
    /// Declares <c>first</c>/<c>last</c>: this task's contiguous share of <paramref name="count"/> work units, split
    /// among all of the launch's tasks or the first <paramref name="shares"/> (a variable in scope; the kernel returns
    /// before this in the tasks past them).
    /// </summary>
    public void Share(string count, string first, string last, string? shares = null) =>
        Writer.Line($"Share({count}, {Dialect.TaskIndex}, {shares ?? Dialect.TaskCount}, out int {first}, out int {last});");

    /// <summary>
    /// A loop over <c>index</c> in [<paramref name="start"/>, <paramref name="end"/>) a vector at a time, then one
    /// element at a time for the tail; the tail is left out when <paramref name="knownLength"/> (the loop length,
    /// when constant) is a multiple of the lane count.
    /// </summary>
    public void ForLanes(string index, string start, string end, int? knownLength, Action vector, Action scalar)
    {
        using (Writer.Block(""))
        {
            Writer.Line($"int {index} = {start};");
            using (Writer.Block($"for (; {index} + {Dialect.Lanes} <= {end}; {index} += {Dialect.Lanes})")) vector();
            if (knownLength is { } n && n % Dialect.Lanes == 0) return;
            using (Writer.Block($"for (; {index} < {end}; {index}++)")) scalar();
        }
    }
}
