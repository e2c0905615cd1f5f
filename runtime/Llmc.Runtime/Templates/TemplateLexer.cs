namespace Llmc.Runtime.Templates;

/// <summary>A piece of template source: literal text, a <c>{{ expression }}</c> or a <c>{% statement %}</c>, with the line it starts on.</summary>
public sealed record TemplatePiece(TemplatePieceKind Kind, string Text, int Line);

public enum TemplatePieceKind
{
    Text,
    Expression,
    Statement,
}

/// <summary>
/// Splits a template into text, expressions and statements, applying Jinja's whitespace control as transformers
/// configures it: <c>trim_blocks</c> (the newline right after a statement or comment tag goes), <c>lstrip_blocks</c>
/// (spaces and tabs from the start of a line up to a statement or comment tag go, unless it opens with <c>{%+</c>),
/// <c>-</c> on a tag's side removes all whitespace on that side, <c>+</c> keeps it, and a single trailing newline of
/// the template is dropped (<c>keep_trailing_newline=False</c>). Comments disappear.
/// </summary>
public static class TemplateLexer
{
    public static List<TemplatePiece> Split(string source)
    {
        if (source.EndsWith('\n')) source = source[..^(source.EndsWith("\r\n", StringComparison.Ordinal) ? 2 : 1)];
        var pieces = new List<TemplatePiece>();
        var at = 0;
        var line = 1;
        var trimNextNewline = false;
        var stripNextWhitespace = false;
        while (at < source.Length)
        {
            var open = NextTag(source, at);
            var text = source[at..(open < 0 ? source.Length : open)];
            // Whether the text starts a line: the template's start, or right after a tag whose newline was consumed.
            var lineStarting = at == 0 || (trimNextNewline && (text.StartsWith('\n') || text.StartsWith("\r\n", StringComparison.Ordinal)));
            if (stripNextWhitespace) text = text.TrimStart();
            else if (trimNextNewline) text = WithoutLeadingNewline(text);
            (trimNextNewline, stripNextWhitespace) = (false, false);
            if (open < 0)
            {
                AddText(pieces, text, line);
                break;
            }
            var kind = source[open + 1];
            var close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            var end = kind == '#' ? source.IndexOf(close, open + 2, StringComparison.Ordinal) : CloseOf(source, open + 2, close);
            var tagLine = line + Count(source, at, open, '\n');
            if (end < 0) throw TemplateException.At(tagLine, $"'{source.Substring(open, 2)}' is never closed with '{close}'");
            var inner = source[(open + 2)..end];
            var leftMarker = inner.Length > 0 ? inner[0] : ' ';
            var rightMarker = inner.Length > 0 ? inner[^1] : ' ';
            if (leftMarker == '-') text = text.TrimEnd();
            else if (kind != '{' && leftMarker != '+') text = WithoutIndentBeforeTag(text, lineStarting);
            AddText(pieces, text, line);
            if (leftMarker is '-' or '+') inner = inner[1..];
            if (inner.Length > 0 && inner[^1] is '-' or '+') inner = inner[..^1];
            if (kind == '{') pieces.Add(new TemplatePiece(TemplatePieceKind.Expression, inner.Trim(), tagLine));
            else if (kind == '%') pieces.Add(new TemplatePiece(TemplatePieceKind.Statement, inner.Trim(), tagLine));
            stripNextWhitespace = rightMarker == '-';
            trimNextNewline = kind != '{' && rightMarker != '+';
            line = tagLine + Count(source, open, end + 2, '\n');
            at = end + 2;
        }
        return pieces;
    }

    /// <summary>Where a tag's closing delimiter starts, skipping string literals (which may hold <c>}}</c> or <c>%}</c>); -1 if never.</summary>
    private static int CloseOf(string source, int from, string close)
    {
        for (var i = from; i + 1 < source.Length; i++)
        {
            var c = source[i];
            if (c is '\'' or '"')
            {
                for (i++; i < source.Length && source[i] != c; i++)
                    if (source[i] == '\\') i++;
                continue;
            }
            if (c == close[0] && source[i + 1] == close[1]) return i;
        }
        return -1;
    }

    private static int NextTag(string source, int from)
    {
        for (var i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
            if (source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private static void AddText(List<TemplatePiece> pieces, string text, int line)
    {
        if (text.Length > 0) pieces.Add(new TemplatePiece(TemplatePieceKind.Text, text, line));
    }

    private static string WithoutLeadingNewline(string text) =>
        text.StartsWith("\r\n", StringComparison.Ordinal) ? text[2..] : text.StartsWith('\n') ? text[1..] : text;

    /// <summary>lstrip_blocks: the spaces and tabs between the last line start and the tag, when nothing else is there.</summary>
    private static string WithoutIndentBeforeTag(string text, bool lineStarting)
    {
        var lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) return text;
        for (var i = lineStart; i < text.Length; i++)
            if (text[i] is not (' ' or '\t')) return text;
        return text[..lineStart];
    }

    private static int Count(string s, int from, int to, char c)
    {
        var n = 0;
        for (var i = from; i < to; i++)
            if (s[i] == c) n++;
        return n;
    }
}
