using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// An elementwise op or chain (<c>silu</c>, <c>mul</c>, <c>add</c>, <c>elementwiseN {expr}</c>) over [rows, width]
/// operands of one shape, one thread per element: x covers the width, y the rows. The expression is written one op
/// at a time into temporaries, each op spelled by <see cref="Formulas"/>, so a chain costs one read of each operand
/// and one write.
/// </summary>
/// <param name="expression">The expression the kernel computes, from the instance's attributes.</param>
public sealed class ElementwiseTemplate(Func<Attributes, ElementwiseExpression> expression) : IGpuKernelTemplate
{
    private const int Threads = 128;

    /// <summary>Each elementwise op's f32 result from the dialect and its operand names.</summary>
    public static IReadOnlyDictionary<string, Func<GpuDialect, string, string, string>> Formulas { get; } =
        new Dictionary<string, Func<GpuDialect, string, string, string>>(StringComparer.Ordinal)
        {
            ["silu"] = (d, a, _) => $"{a} / (1.0f + {d.Call(MathFunction.Exp, "-" + a)})",
            // x · σ(2·√(2/π)·(x + 0.044715·x³)): the tanh form of GELU.
            ["gelu_tanh"] = (d, a, _) => $"{a} / (1.0f + {d.Call(MathFunction.Exp, $"{a} * -1.5957691216057308f * (1.0f + 0.044715f * {a} * {a})")})",
            ["mul"] = (_, a, b) => $"{a} * {b}",
            ["add"] = (_, a, b) => $"{a} + {b}",
        };

    /// <summary>The kernel of a single elementwise op.</summary>
    public static ElementwiseTemplate Of(string op) =>
        new(_ => ElementwiseExpression.Of((ElementwiseOp)OpRegistry.Get(op)));

    public GpuKernelShape Shape(KernelInstance instance)
    {
        var (rows, width) = Extent(instance);
        return new GpuKernelShape(Threads, GpuKernels.GroupsFor(width, Threads), rows, []);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var (_, width) = Extent(kernel.Instance);
        kernel.Constant("Width", width);
        w.Line($"int i = {d.GroupX} * {Threads} + {d.LocalId};");
        w.Line("if (i >= Width) return;");
        w.Line($"int at = {d.GroupY} * Width + i;");
        for (var o = 0; o < kernel.Instance.Operands.Count; o++)
            w.Line($"float {ElementwiseExpression.OperandLetters[o]} = {kernel.Load(o, "at")};");
        var temporaries = 0;
        var result = Write(kernel, expression(kernel.Instance.Attrs), ref temporaries);
        w.Line(kernel.StoreResult("at", result));
    }

    /// <summary>Writes the ops of <paramref name="e"/> innermost first; returns the name holding its value.</summary>
    private static string Write(GpuKernelSource kernel, ElementwiseExpression e, ref int temporaries)
    {
        if (e is ElementwiseExpression.Operand operand) return ElementwiseExpression.OperandLetters[operand.Index].ToString();
        var call = (ElementwiseExpression.Call)e;
        if (!Formulas.TryGetValue(call.Op.Name, out var formula))
            throw new TargetException($"no GPU formula for elementwise op '{call.Op.Name}'");
        var arguments = new List<string>();
        foreach (var argument in call.Arguments) arguments.Add(Write(kernel, argument, ref temporaries));
        var name = $"t{temporaries++}";
        kernel.Writer.Line($"float {name} = {formula(kernel.Dialect, arguments[0], arguments.Count > 1 ? arguments[1] : arguments[0])};");
        return name;
    }

    /// <summary>The rows (the leading dim of a rank-2 result, else 1) and the static width of the rest.</summary>
    private static (Dim Rows, long Width) Extent(KernelInstance instance)
    {
        var shape = instance.Result.Shape;
        if (shape.Length == 2 && !shape[1].IsSymbolic) return (shape[0], shape[1].Size);
        if (instance.Result.IsStatic) return (1, instance.Result.StaticElementCount);
        throw new TargetException($"elementwise kernels take [rows, width] or static operands, got {instance.Result}");
    }
}
