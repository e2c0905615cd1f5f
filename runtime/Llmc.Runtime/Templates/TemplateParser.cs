namespace Llmc.Runtime.Templates;

/// <summary>
/// Parses template pieces into statements: <c>if/elif/else</c>, <c>for ... in ... [if ...]</c> with <c>else</c>,
/// <c>set</c> (plain, unpacking, namespace attribute, block), <c>macro</c>, <c>filter</c> blocks, <c>break</c> and
/// <c>continue</c>, and <c>generation</c> blocks (rendered as they are). Anything else is refused with its name and line.
/// </summary>
public sealed class TemplateParser
{
    private readonly List<TemplatePiece> _pieces;
    private int _at;

    private TemplateParser(List<TemplatePiece> pieces) => _pieces = pieces;

    public static IReadOnlyList<Statement> Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Split(source));
        var (body, end) = parser.Block([]);
        if (end is not null) throw TemplateException.At(end.Value.Line, $"unexpected '{end.Value.Keyword}'");
        return body;
    }

    /// <summary>Statements up to one whose keyword is in <paramref name="ends"/> (consumed and returned), or to the end.</summary>
    private (List<Statement> Body, (string Keyword, ExpressionParser Tag, int Line)? End) Block(string[] ends)
    {
        var body = new List<Statement>();
        while (_at < _pieces.Count)
        {
            var piece = _pieces[_at++];
            switch (piece.Kind)
            {
                case TemplatePieceKind.Text:
                    body.Add(new TextStatement(piece.Text, piece.Line));
                    break;
                case TemplatePieceKind.Expression:
                    var expression = new ExpressionParser(piece.Text, piece.Line);
                    body.Add(new PrintStatement(expression.ParseWhole(), piece.Line));
                    break;
                default:
                    var rest = new ExpressionParser(piece.Text, piece.Line);
                    var keyword = rest.Keyword();
                    if (ends.Contains(keyword)) return (body, (keyword, rest, piece.Line));
                    body.Add(Statement(keyword, rest, piece.Line));
                    break;
            }
        }
        if (ends.Length > 0) throw new TemplateException($"the template ends before '{string.Join("' or '", ends)}'");
        return (body, null);
    }

    private Statement Statement(string keyword, ExpressionParser rest, int line)
    {
        switch (keyword)
        {
            case "if": return If(rest, line);
            case "for": return For(rest, line);
            case "set": return Set(rest, line);
            case "macro": return Macro(rest, line);
            case "filter":
            {
                var filter = rest.ParseFilterCall(null);
                rest.ExpectEnd();
                var (body, _) = Block(["endfilter"]);
                return new FilterBlockStatement(filter, body, line);
            }
            case "generation":
            {
                // transformers' AssistantTracker marks assistant text for masks; rendering is unchanged.
                rest.ExpectEnd();
                var (body, _) = Block(["endgeneration"]);
                return new IfStatement([(new Literal(true), body)], [], line);
            }
            case "break":
                rest.ExpectEnd();
                return new BreakStatement(line);
            case "continue":
                rest.ExpectEnd();
                return new ContinueStatement(line);
            default:
                throw TemplateException.At(line, $"unsupported template statement '{keyword}'");
        }
    }

    private IfStatement If(ExpressionParser rest, int line)
    {
        var branches = new List<(Expression, IReadOnlyList<Statement>)>();
        var condition = rest.ParseWhole();
        while (true)
        {
            var (body, end) = Block(["elif", "else", "endif"]);
            branches.Add((condition, body));
            var (keyword, next, _) = end!.Value;
            if (keyword == "elif")
            {
                condition = next.ParseWhole();
                continue;
            }
            if (keyword == "else")
            {
                next.ExpectEnd();
                var (otherwise, _) = Block(["endif"]);
                return new IfStatement(branches, otherwise, line);
            }
            return new IfStatement(branches, [], line);
        }
    }

    private ForStatement For(ExpressionParser rest, int line)
    {
        var targets = rest.Names();
        rest.ExpectName("in");
        var items = rest.ParseNoConditional();
        var filter = rest.SkipName("if") ? rest.ParseNoConditional() : null;
        if (rest.SkipName("recursive")) throw TemplateException.At(line, $"recursive for loops are not supported");
        rest.ExpectEnd();
        var (body, end) = Block(["else", "endfor"]);
        if (end!.Value.Keyword == "endfor") return new ForStatement(targets, items, filter, body, [], line);
        var (otherwise, _) = Block(["endfor"]);
        return new ForStatement(targets, items, filter, body, otherwise, line);
    }

    private Statement Set(ExpressionParser rest, int line)
    {
        var targets = rest.Names();
        string? attribute = null;
        if (targets.Count == 1 && rest.SkipOperator(".")) attribute = rest.Name();
        if (rest.AtEnd)
        {
            if (targets.Count != 1 || attribute is not null) throw TemplateException.At(line, $"a block set takes one plain name");
            var (body, _) = Block(["endset"]);
            return new SetBlockStatement(targets[0], body, line);
        }
        rest.ExpectOperator("=");
        return new SetStatement(targets, attribute, rest.ParseWhole(), line);
    }

    private MacroStatement Macro(ExpressionParser rest, int line)
    {
        var name = rest.Name();
        var parameters = new List<(string, Expression?)>();
        rest.ExpectOperator("(");
        if (!rest.SkipOperator(")"))
        {
            do
            {
                var parameter = rest.Name();
                parameters.Add((parameter, rest.SkipOperator("=") ? rest.ParseExpression() : null));
            }
            while (rest.SkipOperator(","));
            rest.ExpectOperator(")");
        }
        rest.ExpectEnd();
        var (body, _) = Block(["endmacro"]);
        return new MacroStatement(name, parameters, body, line);
    }
}
