using System.Globalization;
using System.Text;

namespace Llmc.Runtime.Templates;

public enum TokenKind
{
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

public sealed record Token(TokenKind Kind, string Text, object? Value = null);

/// <summary>Jinja expression tokens: names, string literals (with Python escapes), integers, floats and operators.</summary>
public static class ExpressionTokens
{
    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    public static List<Token> Read(string text, int line)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, text[start..i]));
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '_')) i++;
                var isFloat = i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]);
                if (isFloat)
                {
                    i++;
                    while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                }
                if (i < text.Length && text[i] is 'e' or 'E')
                {
                    isFloat = true;
                    i++;
                    if (i < text.Length && text[i] is '+' or '-') i++;
                    while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                }
                var literal = text[start..i].Replace("_", "", StringComparison.Ordinal);
                tokens.Add(isFloat
                    ? new Token(TokenKind.Float, literal, double.Parse(literal, CultureInfo.InvariantCulture))
                    : new Token(TokenKind.Integer, literal, long.Parse(literal, CultureInfo.InvariantCulture)));
            }
            else if (c is '\'' or '"')
            {
                var (value, end) = ReadString(text, i, line);
                tokens.Add(new Token(TokenKind.String, text[i..end], value));
                i = end;
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0)
                    ?? throw TemplateException.At(line, $"unexpected character '{c}' in '{text}'");
                tokens.Add(new Token(TokenKind.Operator, op));
                i += op.Length;
            }
        }
        tokens.Add(new Token(TokenKind.End, ""));
        return tokens;
    }

    /// <summary>A quoted literal from <paramref name="start"/>: its value and the index after the closing quote.</summary>
    private static (string Value, int End) ReadString(string text, int start, int line)
    {
        var quote = text[start];
        var b = new StringBuilder();
        for (var i = start + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == quote) return (b.ToString(), i + 1);
            if (c != '\\' || i + 1 >= text.Length)
            {
                b.Append(c);
                continue;
            }
            var e = text[++i];
            switch (e)
            {
                case 'n': b.Append('\n'); break;
                case 't': b.Append('\t'); break;
                case 'r': b.Append('\r'); break;
                case '\\': b.Append('\\'); break;
                case '\'': b.Append('\''); break;
                case '"': b.Append('"'); break;
                case '\n': break;
                case 'u' when i + 4 < text.Length:
                    b.Append((char)int.Parse(text.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                case 'x' when i + 2 < text.Length:
                    b.Append((char)int.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                    break;
                default:
                    // Python keeps an unknown escape as written.
                    b.Append('\\').Append(e);
                    break;
            }
        }
        throw TemplateException.At(line, $"a string literal is never closed in '{text}'");
    }
}
