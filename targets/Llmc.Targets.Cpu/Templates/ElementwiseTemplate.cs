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

    private static readonly string[] OperandNames = ["a", "b", "c", "d"];

    /// <summary>This op's vector expression of operand vectors <paramref name="a"/> and <paramref name="b"/> (unary: b ignored).</summary>
    public string Vector(CpuDialect dialect, string a, string b) => vector(dialect, a, b);

    /// <summary>This op's scalar expression of operand floats <paramref name="a"/> and <paramref name="b"/> (unary: b ignored).</summary>
    public string Scalar(string a, string b) => scalar(a, b);

    public void Render(KernelSource kernel)
    {
        var arity = kernel.Instance.Operands.Count;
        // A unary op's expression ignores b; it is handed a's name so the expression stays well formed.
        RenderLoop(kernel, (isVector, names) => isVector
            ? vector(kernel.Dialect, names[0], names[Math.Min(1, arity - 1)])
            : scalar(names[0], names[Math.Min(1, arity - 1)]));
    }

    /// <summary>
    /// The chunked loop over all elements shared by every elementwise kernel: loads each operand (as <c>va</c>.. or
    /// <c>sa</c>..), then stores what <paramref name="body"/> returns; the body gets whether it renders the vector or
    /// the scalar form and the loaded operand names, and may write statements first.
    /// </summary>
    public static void RenderLoop(KernelSource kernel, Func<bool, IReadOnlyList<string>, string> body)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var arity = kernel.Instance.Operands.Count;
        for (var i = 0; i < arity; i++) kernel.Operand(OperandNames[i], i);
        kernel.Result("y");
        w.Line($"int count = {KernelSource.Count(kernel.Instance.Result)};");
        kernel.Share($"(count + {Chunk - 1}) / {Chunk}", "firstChunk", "lastChunk");
        w.Line($"int begin = firstChunk * {Chunk}, end = Math.Min(lastChunk * {Chunk}, count);");
        var names = OperandNames.Take(arity).ToArray();
        kernel.ForLanes("i", "begin", "end", null,
            () =>
            {
                for (var i = 0; i < arity; i++)
                    w.Line($"{d.Vector} v{names[i]} = {kernel.Format(i).LoadVector(d, names[i], "i")};");
                w.Line(d.Store(body(true, [.. names.Select(n => "v" + n)]), "y + i"));
            },
            () =>
            {
                for (var i = 0; i < arity; i++)
                    w.Line($"float s{names[i]} = {kernel.Format(i).LoadScalar(names[i], "i")};");
                w.Line($"y[i] = {body(false, [.. names.Select(n => "s" + n)])};");
            });
    }
}
