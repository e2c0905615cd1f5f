using System.Text;

namespace Llmc.Ir.Ops;

/// <summary>
/// The expression an <c>elementwise</c> chain computes, in prefix form over its operands <c>a</c>, <c>b</c>, <c>c</c>,
/// <c>d</c> and the registered elementwise ops, e.g. <c>mul(silu(a), b)</c>. Parsed from and printed to the
/// <c>expr</c> attribute; evaluated by calling each op's reference, so the chain's reference is its decomposition.
/// </summary>
public abstract record ElementwiseExpression
{
    public const string OperandLetters = "abcd";

    /// <summary>Operand <paramref name="Index"/> of the chain.</summary>
    public sealed record Operand(int Index) : ElementwiseExpression
    {
        public override string ToString() => OperandLetters[Index].ToString();
    }

    /// <summary>An elementwise op applied to sub-expressions.</summary>
    public sealed record Call(ElementwiseOp Op, IReadOnlyList<ElementwiseExpression> Arguments) : ElementwiseExpression
    {
        public override string ToString() => $"{Op.Name}({string.Join(", ", Arguments)})";
    }

    /// <summary>Every operand index the expression reads.</summary>
    public IEnumerable<int> Operands() => this switch
    {
        Operand o => [o.Index],
        Call c => c.Arguments.SelectMany(a => a.Operands()),
        _ => [],
    };

    /// <summary>This expression with each operand i replaced by <paramref name="replace"/>(i).</summary>
    public ElementwiseExpression Substitute(Func<int, ElementwiseExpression> replace) => this switch
    {
        Operand o => replace(o.Index),
        Call c => new Call(c.Op, [.. c.Arguments.Select(a => a.Substitute(replace))]),
        _ => this,
    };

    /// <summary>Applies the expression to concrete operands with each op's reference.</summary>
    public HostTensor Evaluate(IReadOnlyList<HostTensor> operands)
    {
        switch (this)
        {
            case Operand o:
                return operands[o.Index];
            case Call c:
                var arguments = c.Arguments.Select(a => a.Evaluate(operands)).ToList();
                var result = new HostTensor(DType.F32, [.. arguments[0].Shape]);
                c.Op.Evaluate(new Attributes(), arguments, result);
                return result;
            default:
                throw new IrException($"unknown expression {this}");
        }
    }

    /// <summary>The expression of a single elementwise op applied to operands a, b, ...</summary>
    public static ElementwiseExpression Of(ElementwiseOp op) =>
        new Call(op, [.. Enumerable.Range(0, op.Arity).Select(i => (ElementwiseExpression)new Operand(i))]);

    /// <summary>Parses <paramref name="text"/>; an <see cref="IrException"/> names what is wrong and where.</summary>
    public static ElementwiseExpression Parse(string text)
    {
        var position = 0;
        var expression = ParseAt(text, ref position);
        SkipSpaces(text, ref position);
        if (position != text.Length) throw Error(text, position, "unexpected text after the expression");
        return expression;
    }

    private static ElementwiseExpression ParseAt(string text, ref int position)
    {
        SkipSpaces(text, ref position);
        var start = position;
        var name = new StringBuilder();
        while (position < text.Length && (char.IsLetterOrDigit(text[position]) || text[position] == '_')) name.Append(text[position++]);
        if (name.Length == 0) throw Error(text, start, "expected an operand letter or an op name");
        SkipSpaces(text, ref position);
        if (position >= text.Length || text[position] != '(')
        {
            var index = name.Length == 1 ? OperandLetters.IndexOf(name[0]) : -1;
            return index >= 0 ? new Operand(index) : throw Error(text, start, $"'{name}' is not an operand ({string.Join(", ", OperandLetters.ToCharArray())})");
        }
        if (!OpRegistry.TryGet(name.ToString(), out var def) || def is not ElementwiseOp op)
            throw Error(text, start, $"'{name}' is not an elementwise op");
        position++;
        var arguments = new List<ElementwiseExpression>();
        while (true)
        {
            arguments.Add(ParseAt(text, ref position));
            SkipSpaces(text, ref position);
            if (position < text.Length && text[position] == ',')
            {
                position++;
                continue;
            }
            if (position < text.Length && text[position] == ')')
            {
                position++;
                break;
            }
            throw Error(text, position, "expected ',' or ')'");
        }
        if (arguments.Count != op.Arity) throw Error(text, start, $"{op.Name} takes {op.Arity} operands, got {arguments.Count}");
        return new Call(op, arguments);
    }

    private static void SkipSpaces(string text, ref int position)
    {
        while (position < text.Length && text[position] == ' ') position++;
    }

    private static IrException Error(string text, int position, string problem) =>
        new($"elementwise expression \"{text}\" at {position}: {problem}");
}
