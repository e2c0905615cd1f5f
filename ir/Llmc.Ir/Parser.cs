using System.Globalization;

namespace Llmc.Ir;

/// <summary>
/// Reads the text <see cref="Printer"/> writes. Each node's type is re-inferred from its op and must match the
/// written one, so a parsed graph is well typed; the remaining invariants are the <see cref="Verifier"/>'s.
/// Errors read <c>source:line:col: message</c>.
/// </summary>
public sealed class Parser
{
    private readonly List<IrToken> _tokens;
    private readonly string _source;
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
    private int _next;

    private Parser(List<IrToken> tokens, string source)
    {
        _tokens = tokens;
        _source = source;
    }

    public static Graph Parse(string text, string? sourceName = null)
    {
        var source = sourceName ?? "<ir>";
        return new Parser(IrLexer.Tokenize(text, source), source).ParseGraph();
    }

    private IrToken Current => _tokens[_next];

    private Graph ParseGraph()
    {
        ExpectKeyword("graph");
        var graph = new Graph(Expect(IrTokenKind.Identifier, "a graph name").Text);
        ExpectPunctuation("{");
        while (!Current.Is(IrTokenKind.Punctuation, "}"))
        {
            var token = Current;
            switch (token)
            {
                case { Kind: IrTokenKind.Identifier, Text: "input" }:
                    ParseDeclaration(graph.Inputs, ValueKind.Input);
                    break;
                case { Kind: IrTokenKind.Identifier, Text: "weight" }:
                    ParseDeclaration(graph.Weights, ValueKind.Weight);
                    break;
                case { Kind: IrTokenKind.Identifier, Text: "state" }:
                    ParseDeclaration(graph.States, ValueKind.State);
                    break;
                case { Kind: IrTokenKind.Identifier, Text: "output" }:
                    _next++;
                    graph.Outputs.Add(ParseOperand());
                    break;
                case { Kind: IrTokenKind.ValueName }:
                    graph.Nodes.Add(ParseNode());
                    break;
                default:
                    throw Error(token, $"expected 'input', 'weight', 'state', 'output', a node or '}}', got {token.Describe()}");
            }
        }
        _next++;
        Expect(IrTokenKind.End, "end of text after the graph");
        return graph;
    }

    private void ParseDeclaration(List<Value> list, ValueKind kind)
    {
        _next++;
        var name = Expect(IrTokenKind.ValueName, "a value name");
        ExpectPunctuation(":");
        list.Add(Define(name, ParseType(), kind));
    }

    private Node ParseNode()
    {
        var name = Expect(IrTokenKind.ValueName, "a value name");
        ExpectPunctuation(":");
        var typeToken = Current;
        var written = ParseType();
        ExpectPunctuation("=");
        var opToken = Expect(IrTokenKind.Identifier, "an op name");
        if (!OpRegistry.TryGet(opToken.Text, out var op)) throw Error(opToken, $"unknown op '{opToken.Text}'");
        ExpectPunctuation("(");
        var operands = new List<Value>();
        if (!Current.Is(IrTokenKind.Punctuation, ")"))
        {
            operands.Add(ParseOperand());
            while (Accept(","))
                operands.Add(ParseOperand());
        }
        ExpectPunctuation(")");
        var attrs = Current.Is(IrTokenKind.Punctuation, "{") ? ParseAttributes() : new Attributes();
        if (operands.Count != op.Arity) throw Error(opToken, $"{op.Name} takes {op.Arity} operands, got {operands.Count}");
        TensorType inferred;
        try
        {
            inferred = TypeInference.Infer(op, operands, attrs);
        }
        catch (IrException e)
        {
            throw Error(opToken, e.Message);
        }
        if (inferred != written) throw Error(typeToken, $"%{name.Text} is written as {written} but {op.Name} infers {inferred}");
        var output = Define(name, written, ValueKind.Node);
        var node = new Node(op, operands, attrs, output);
        output.Producer = node;
        return node;
    }

    private Value ParseOperand()
    {
        var token = Expect(IrTokenKind.ValueName, "a value name");
        return _values.TryGetValue(token.Text, out var v) ? v : throw Error(token, $"%{token.Text} is not defined before this use");
    }

    private TensorType ParseType()
    {
        var token = Expect(IrTokenKind.Identifier, "a dtype");
        if (!DTypes.TryParse(token.Text, out var dtype)) throw Error(token, $"unknown dtype '{token.Text}'");
        ExpectPunctuation("[");
        var dims = new List<Dim>();
        if (!Current.Is(IrTokenKind.Punctuation, "]"))
        {
            dims.Add(ParseDim());
            while (Accept(","))
                dims.Add(ParseDim());
        }
        ExpectPunctuation("]");
        return new TensorType(dtype, dims.ToArray());
    }

    private Dim ParseDim()
    {
        var token = Current;
        _next++;
        if (token.Kind == IrTokenKind.Identifier) return new Dim(token.Text);
        if (token.Kind == IrTokenKind.Number && int.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            return new Dim(size);
        throw Error(token, $"expected a dimension (a non-negative size or a symbol), got {token.Describe()}");
    }

    private Attributes ParseAttributes()
    {
        ExpectPunctuation("{");
        var attrs = new Attributes();
        do
        {
            var name = Expect(IrTokenKind.Identifier, "an attribute name");
            if (attrs.ContainsKey(name.Text)) throw Error(name, $"attribute '{name.Text}' given twice");
            ExpectPunctuation("=");
            attrs.Set(name.Text, ParseAttributeValue());
        }
        while (Accept(","));
        ExpectPunctuation("}");
        return attrs;
    }

    private object ParseAttributeValue()
    {
        var token = Current;
        _next++;
        switch (token.Kind)
        {
            case IrTokenKind.String:
                return token.Text;
            case IrTokenKind.Number:
                return ParseNumber(token);
            // Attributes.Format spells these two doubles as bare words.
            case IrTokenKind.Identifier when token.Text is "NaN" or "Infinity":
                return ParseNumber(token);
            case IrTokenKind.Punctuation when token.Text == "[":
                var items = new List<long>();
                if (!Current.Is(IrTokenKind.Punctuation, "]"))
                {
                    items.Add(ParseLong());
                    while (Accept(","))
                        items.Add(ParseLong());
                }
                ExpectPunctuation("]");
                return items.ToArray();
            default:
                throw Error(token, $"expected an attribute value (number, string or [integers]), got {token.Describe()}");
        }
    }

    private long ParseLong()
    {
        var token = Expect(IrTokenKind.Number, "an integer");
        return ParseNumber(token) as long? ?? throw Error(token, $"list attributes hold integers, got {token.Text}");
    }

    // A literal without '.', exponent or letters is a long; anything else is a double.
    private object ParseNumber(IrToken token)
    {
        var text = token.Text;
        if (text.TrimStart('-').All(char.IsAsciiDigit))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                ? l
                : throw Error(token, $"integer {text} does not fit in 64 bits");
        }
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private Value Define(IrToken name, TensorType type, ValueKind kind)
    {
        if (_values.ContainsKey(name.Text)) throw Error(name, $"%{name.Text} is defined twice");
        var value = new Value(name.Text, type, kind);
        _values.Add(name.Text, value);
        return value;
    }

    private bool Accept(string punctuation)
    {
        if (!Current.Is(IrTokenKind.Punctuation, punctuation)) return false;
        _next++;
        return true;
    }

    private void ExpectPunctuation(string punctuation)
    {
        if (!Accept(punctuation)) throw Error(Current, $"expected '{punctuation}', got {Current.Describe()}");
    }

    private void ExpectKeyword(string keyword)
    {
        if (!Current.Is(IrTokenKind.Identifier, keyword)) throw Error(Current, $"expected '{keyword}', got {Current.Describe()}");
        _next++;
    }

    private IrToken Expect(IrTokenKind kind, string what)
    {
        var token = Current;
        if (token.Kind != kind) throw Error(token, $"expected {what}, got {token.Describe()}");
        _next++;
        return token;
    }

    private IrException Error(IrToken at, string message) => IrTextError.At(_source, at.Line, at.Column, message);
}
