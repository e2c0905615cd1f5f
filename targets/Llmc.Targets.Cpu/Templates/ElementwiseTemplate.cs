namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// An element-by-element op over operands of one shape, given as its vector and scalar expressions of the
/// loaded operands (<c>a</c>, and <c>b</c> for binary ops). Tasks take contiguous chunks of elements.
/// </summary>
/// <param name="vector">The result vector from the dialect and the operand vector names.</param>
/// <param name="scalar">The result float from the operand float names.</param>
public sealed class ElementwiseTemplate(Func<CpuDialect, string, string, string> vector, Func<string, string, string> scalar)
    : ICpuKernelTemplate
{
    // Elements per work unit: large enough that a unit outweighs its scheduling, a multiple of every lane count.
    private const int Chunk = 1024;

    private static readonly string[] OperandNames = ["a", "b"];

    public void Render(KernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var arity = kernel.Instance.Operands.Count;
        for (var i = 0; i < arity; i++) kernel.Operand(OperandNames[i], i);
        kernel.Result("y");
        w.Line($"int count = {KernelSource.Count(kernel.Instance.Result)};");
        kernel.Share($"(count + {Chunk - 1}) / {Chunk}", "firstChunk", "lastChunk");
        w.Line($"int begin = firstChunk * {Chunk}, end = Math.Min(lastChunk * {Chunk}, count);");
        var names = OperandNames.Take(arity).ToArray();
        // A unary op's expression ignores b; it is handed a's name so the expression stays well formed.
        string Operand(int i, string prefix) => prefix + names[Math.Min(i, arity - 1)];
        kernel.ForLanes("i", "begin", "end", null,
            () =>
            {
                for (var i = 0; i < arity; i++)
                    w.Line($"{d.Vector} v{names[i]} = {kernel.Format(i).LoadVector(d, names[i], "i")};");
                w.Line(d.Store(vector(d, Operand(0, "v"), Operand(1, "v")), "y + i"));
            },
            () =>
            {
                for (var i = 0; i < arity; i++)
                    w.Line($"float s{names[i]} = {kernel.Format(i).LoadScalar(names[i], "i")};");
                w.Line($"y[i] = {scalar(Operand(0, "s"), Operand(1, "s"))};");
            });
    }
}
