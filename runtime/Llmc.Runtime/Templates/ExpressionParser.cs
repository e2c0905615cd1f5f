namespace Llmc.Runtime.Templates;

/// <summary>
/// Parses the tokens of one tag with Jinja's precedence, loosest first: <c>x if c else y</c>, <c>or</c>, <c>and</c>,
/// <c>not</c>, comparisons (<c>== != &lt; &lt;= &gt; &gt;= in not in</c>), <c>+ -</c>, <c>~</c>, <c>* / // %</c>,
/// <c>**</c>, unary <c>- +</c>, then filters (<c>|</c>) and tests (<c>is</c>) on postfix expressions (attributes,
/// subscripts and slices, calls) of literals, names, lists, tuples and dicts.
/// </summary>
public sealed class ExpressionParser(string text, int line)
{
    private static readonly HashSet<string> Comparisons = ["==", "!=", "<", "<=", ">", ">="];

    private readonly List<Token> _tokens = ExpressionTokens.Read(text, line);
    private int _at;

    private Token Peek => _tokens[_at];

    public bool AtEnd => Peek.Kind == TokenKind.End;

    /// <summary>A statement's keyword (its first name).</summary>
    public string Keyword() => Peek.Kind == TokenKind.Name ? _tokens[_at++].Text : throw Error("a statement must start with a keyword");

    public Expression ParseWhole()
    {
        var e = ParseExpression();
        ExpectEnd();
        return e;
    }

    public void ExpectEnd()
    {
        if (!AtEnd) throw Error($"unexpected '{Peek.Text}'");
    }

    public string Name() => Peek.Kind == TokenKind.Name ? _tokens[_at++].Text : throw Error($"expected a name, found '{Peek.Text}'");

    /// <summary>One name, or several separated by commas (optionally in parentheses), as for-loop and set targets.</summary>
    public List<string> Names()
    {
        var parenthesized = SkipOperator("(");
        var names = new List<string> { Name() };
        while (SkipOperator(",")) names.Add(Name());
        if (parenthesized) ExpectOperator(")");
        return names;
    }

    public bool SkipName(string name)
    {
        if (Peek.Kind != TokenKind.Name || Peek.Text != name) return false;
        _at++;
        return true;
    }

    public void ExpectName(string name)
    {
        if (!SkipName(name)) throw Error($"expected '{name}', found '{Peek.Text}'");
    }

    public bool SkipOperator(string op)
    {
        if (Peek.Kind != TokenKind.Operator || Peek.Text != op) return false;
        _at++;
        return true;
    }

    public void ExpectOperator(string op)
    {
        if (!SkipOperator(op)) throw Error($"expected '{op}', found '{(AtEnd ? "the end of the tag" : Peek.Text)}'");
    }

    public Expression ParseExpression()
    {
        var value = ParseOr();
        while (SkipName("if"))
        {
            var condition = ParseOr();
            var otherwise = SkipName("else") ? ParseExpression() : null;
            value = new ConditionalExpression(condition, value, otherwise);
        }
        return value;
    }

    /// <summary>An expression without a trailing <c>if</c> (a for loop's items, before its filter).</summary>
    public Expression ParseNoConditional() => ParseOr();

    private Expression ParseOr()
    {
        var left = ParseAnd();
        while (SkipName("or")) left = new BinaryExpression("or", left, ParseAnd());
        return left;
    }

    private Expression ParseAnd()
    {
        var left = ParseNot();
        while (SkipName("and")) left = new BinaryExpression("and", left, ParseNot());
        return left;
    }

    private Expression ParseNot() => SkipName("not") ? new UnaryExpression("not", ParseNot()) : ParseCompare();

    private Expression ParseCompare()
    {
        var left = ParseAdditive();
        while (true)
        {
            if (Peek.Kind == TokenKind.Operator && Comparisons.Contains(Peek.Text))
            {
                var op = _tokens[_at++].Text;
                left = new BinaryExpression(op, left, ParseAdditive());
            }
            else if (SkipName("in"))
                left = new BinaryExpression("in", left, ParseAdditive());
            else if (Peek.Kind == TokenKind.Name && Peek.Text == "not" && _tokens[_at + 1] is { Kind: TokenKind.Name, Text: "in" })
            {
                _at += 2;
                left = new BinaryExpression("not in", left, ParseAdditive());
            }
            else
                return left;
        }
    }

    private Expression ParseAdditive()
    {
        var left = ParseConcat();
        while (Peek is { Kind: TokenKind.Operator, Text: "+" or "-" })
        {
            var op = _tokens[_at++].Text;
            left = new BinaryExpression(op, left, ParseConcat());
        }
        return left;
    }

    private Expression ParseConcat()
    {
        var left = ParseMultiplicative();
        while (SkipOperator("~")) left = new BinaryExpression("~", left, ParseMultiplicative());
        return left;
    }

    private Expression ParseMultiplicative()
    {
        var left = ParsePower();
        while (Peek is { Kind: TokenKind.Operator, Text: "*" or "/" or "//" or "%" })
        {
            var op = _tokens[_at++].Text;
            left = new BinaryExpression(op, left, ParsePower());
        }
        return left;
    }

    private Expression ParsePower()
    {
        var left = ParseUnary(withFilters: true);
        while (SkipOperator("**")) left = new BinaryExpression("**", left, ParseUnary(withFilters: true));
        return left;
    }

    private Expression ParseUnary(bool withFilters)
    {
        Expression value;
        if (SkipOperator("-")) value = new UnaryExpression("-", ParseUnary(withFilters: false));
        else if (SkipOperator("+")) value = new UnaryExpression("+", ParseUnary(withFilters: false));
        else value = ParsePostfix(ParsePrimary());
        return withFilters ? ParseFiltersAndTests(value) : value;
    }

    private Expression ParseFiltersAndTests(Expression value)
    {
        while (true)
        {
            if (SkipOperator("|")) value = ParseFilterCall(value);
            else if (SkipName("is")) value = ParseTest(value);
            else if (Peek is { Kind: TokenKind.Operator, Text: "(" }) value = ParseCall(value);
            else return value;
        }
    }

    /// <summary>A filter's name and arguments, applied to <paramref name="value"/> (null in a filter block).</summary>
    public FilterExpression ParseFilterCall(Expression? value)
    {
        var name = Name();
        if (Peek is not { Kind: TokenKind.Operator, Text: "(" }) return new FilterExpression(value, name, [], []);
        var (arguments, keywords) = ParseArguments();
        return new FilterExpression(value, name, arguments, keywords);
    }

    private TestExpression ParseTest(Expression value)
    {
        var negated = SkipName("not");
        var name = Name();
        if (name is "none" or "true" or "false") name = name.ToLowerInvariant();
        if (Peek is { Kind: TokenKind.Operator, Text: "(" })
        {
            var (arguments, _) = ParseArguments();
            return new TestExpression(value, name, arguments, negated);
        }
        // One argument without parentheses: `x is divisibleby 3`, `x is equalto 'y'`.
        var startsValue = Peek.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
            || (Peek.Kind == TokenKind.Name && Peek.Text is not ("and" or "or" or "else" or "if" or "in" or "not" or "is"));
        return new TestExpression(value, name, startsValue ? [ParsePostfix(ParsePrimary())] : [], negated);
    }

    private Expression ParsePrimary()
    {
        var token = _tokens[_at];
        switch (token.Kind)
        {
            case TokenKind.Name:
                _at++;
                return token.Text switch
                {
                    "true" or "True" => new Literal(true),
                    "false" or "False" => new Literal(false),
                    "none" or "None" => new Literal(null),
                    _ => new NameExpression(token.Text),
                };
            case TokenKind.String:
                _at++;
                var text = (string)token.Value!;
                // Adjacent literals concatenate, as in Python.
                while (Peek.Kind == TokenKind.String) text += (string)_tokens[_at++].Value!;
                return new Literal(text);
            case TokenKind.Integer or TokenKind.Float:
                _at++;
                return new Literal(token.Value);
            case TokenKind.Operator when token.Text == "(":
            {
                _at++;
                if (SkipOperator(")")) return new ListExpression([]);
                var first = ParseExpression();
                if (SkipOperator(")")) return first;
                var items = new List<Expression> { first };
                while (SkipOperator(",") && !(Peek is { Kind: TokenKind.Operator, Text: ")" })) items.Add(ParseExpression());
                ExpectOperator(")");
                return new ListExpression(items);
            }
            case TokenKind.Operator when token.Text == "[":
            {
                _at++;
                var items = new List<Expression>();
                while (!SkipOperator("]"))
                {
                    items.Add(ParseExpression());
                    if (!SkipOperator(","))
                    {
                        ExpectOperator("]");
                        break;
                    }
                }
                return new ListExpression(items);
            }
            case TokenKind.Operator when token.Text == "{":
            {
                _at++;
                var pairs = new List<(Expression, Expression)>();
                while (!SkipOperator("}"))
                {
                    var key = ParseExpression();
                    ExpectOperator(":");
                    pairs.Add((key, ParseExpression()));
                    if (!SkipOperator(","))
                    {
                        ExpectOperator("}");
                        break;
                    }
                }
                return new DictExpression(pairs);
            }
            default:
                throw Error(token.Kind == TokenKind.End ? "an expression is missing" : $"unexpected '{token.Text}'");
        }
    }

    private Expression ParsePostfix(Expression value)
    {
        while (true)
        {
            if (SkipOperator("."))
            {
                value = Peek.Kind == TokenKind.Integer
                    ? new IndexExpression(value, new Literal(_tokens[_at++].Value))
                    : new AttributeExpression(value, Name());
            }
            else if (SkipOperator("[")) value = ParseSubscript(value);
            else if (Peek is { Kind: TokenKind.Operator, Text: "(" }) value = ParseCall(value);
            else return value;
        }
    }

    private Expression ParseSubscript(Expression target)
    {
        Expression? start = null;
        if (!(Peek is { Kind: TokenKind.Operator, Text: ":" })) start = ParseExpression();
        if (SkipOperator("]")) return new IndexExpression(target, start!);
        ExpectOperator(":");
        Expression? stop = null, step = null;
        if (!(Peek is { Kind: TokenKind.Operator, Text: ":" or "]" })) stop = ParseExpression();
        if (SkipOperator(":") && !(Peek is { Kind: TokenKind.Operator, Text: "]" })) step = ParseExpression();
        ExpectOperator("]");
        return new SliceExpression(target, start, stop, step);
    }

    private CallExpression ParseCall(Expression callee)
    {
        var (arguments, keywords) = ParseArguments();
        return new CallExpression(callee, arguments, keywords);
    }

    private (List<Expression> Arguments, List<(string, Expression)> Keywords) ParseArguments()
    {
        ExpectOperator("(");
        var arguments = new List<Expression>();
        var keywords = new List<(string, Expression)>();
        while (!SkipOperator(")"))
        {
            if (Peek.Kind == TokenKind.Name && _tokens[_at + 1] is { Kind: TokenKind.Operator, Text: "=" })
            {
                var name = _tokens[_at].Text;
                _at += 2;
                keywords.Add((name, ParseExpression()));
            }
            else
                arguments.Add(ParseExpression());
            if (!SkipOperator(","))
            {
                ExpectOperator(")");
                break;
            }
        }
        return (arguments, keywords);
    }

    private TemplateException Error(string what) => TemplateException.At(line, $"{what} in '{text}'");
}
