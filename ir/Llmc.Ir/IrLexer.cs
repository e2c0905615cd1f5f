using System.Text;

namespace Llmc.Ir;

/// <summary>Splits IR text into tokens, skipping whitespace and <c># comments</c> to the end of the line.</summary>
internal sealed class IrLexer
{
    private readonly string _text;
    private readonly string _source;
    private int _pos;
    private int _line = 1;
    private int _lineStart;

    private IrLexer(string text, string source)
    {
        _text = text;
        _source = source;
    }

    public static List<IrToken> Tokenize(string text, string source)
    {
        var lexer = new IrLexer(text, source);
        var tokens = new List<IrToken>();
        IrToken token;
        do tokens.Add(token = lexer.Next());
        while (token.Kind != IrTokenKind.End);
        return tokens;
    }

    public static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.';

    private int Column => _pos - _lineStart + 1;

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private IrToken Next()
    {
        SkipBlanksAndComments();
        int line = _line, column = Column;
        if (_pos >= _text.Length) return new IrToken(IrTokenKind.End, "", line, column);
        var c = Peek();
        if (c is '{' or '}' or '(' or ')' or '[' or ']' or ',' or ':' or '=')
        {
            _pos++;
            return new IrToken(IrTokenKind.Punctuation, c.ToString(), line, column);
        }
        if (c == '%')
        {
            _pos++;
            var name = TakeWhile(IsNameChar);
            if (name.Length == 0) throw Error(line, column, "expected a value name after '%'");
            return new IrToken(IrTokenKind.ValueName, name, line, column);
        }
        if (c == '"') return new IrToken(IrTokenKind.String, ReadString(line, column), line, column);
        if (char.IsAsciiDigit(c) || c == '-') return new IrToken(IrTokenKind.Number, ReadNumber(line, column), line, column);
        if (char.IsAsciiLetter(c) || c == '_') return new IrToken(IrTokenKind.Identifier, TakeWhile(IsNameChar), line, column);
        throw Error(line, column, $"unexpected character '{c}'");
    }

    private void SkipBlanksAndComments()
    {
        while (_pos < _text.Length)
        {
            var c = Peek();
            if (c == '#')
            {
                while (_pos < _text.Length && Peek() != '\n') _pos++;
            }
            else if (c == '\n')
            {
                NewLine();
            }
            else if (char.IsWhiteSpace(c))
            {
                _pos++;
            }
            else
            {
                return;
            }
        }
    }

    private void NewLine()
    {
        _pos++;
        _line++;
        _lineStart = _pos;
    }

    private string TakeWhile(Func<char, bool> accept)
    {
        var start = _pos;
        while (_pos < _text.Length && accept(Peek())) _pos++;
        return _text[start.._pos];
    }

    // Literals look like -12, 2.5, 1E-05, -0.0 or -Infinity (the spelling Attributes.Format uses).
    private string ReadNumber(int line, int column)
    {
        var start = _pos;
        if (Peek() == '-') _pos++;
        if (char.IsAsciiLetter(Peek()))
        {
            if (TakeWhile(IsNameChar) != "Infinity") throw Error(line, column, "malformed number");
            return _text[start.._pos];
        }
        if (TakeWhile(char.IsAsciiDigit).Length == 0) throw Error(line, column, "malformed number");
        if (Peek() == '.')
        {
            _pos++;
            if (TakeWhile(char.IsAsciiDigit).Length == 0) throw Error(line, column, "malformed number: digits must follow '.'");
        }
        if (Peek() is 'e' or 'E')
        {
            _pos++;
            if (Peek() is '+' or '-') _pos++;
            if (TakeWhile(char.IsAsciiDigit).Length == 0) throw Error(line, column, "malformed number: digits must follow the exponent");
        }
        if (IsNameChar(Peek())) throw Error(line, column, $"malformed number '{_text[start..(_pos + 1)]}'");
        return _text[start.._pos];
    }

    private string ReadString(int line, int column)
    {
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length) throw Error(line, column, "unterminated string");
            var c = Peek();
            if (c == '"')
            {
                _pos++;
                return sb.ToString();
            }
            if (c == '\\')
            {
                if (Peek(1) is not ('\\' or '"')) throw Error(_line, Column, "unknown escape in string: only \\\\ and \\\" are allowed");
                sb.Append(Peek(1));
                _pos += 2;
            }
            else if (c == '\n')
            {
                sb.Append(c);
                NewLine();
            }
            else
            {
                sb.Append(c);
                _pos++;
            }
        }
    }

    private IrException Error(int line, int column, string message) => IrTextError.At(_source, line, column, message);
}
