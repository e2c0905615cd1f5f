namespace Llmc.Ir;

/// <summary>What a lexeme of the IR text is.</summary>
internal enum IrTokenKind
{
    /// <summary>A keyword, op, dtype, symbol or attribute name: <c>[A-Za-z_][A-Za-z0-9_.]*</c>.</summary>
    Identifier,

    /// <summary><c>%name</c>; the text holds the name without the percent sign.</summary>
    ValueName,

    /// <summary>An integer or real literal, kept as written so the parser can tell long from double.</summary>
    Number,

    /// <summary>A quoted string; the text holds it unescaped.</summary>
    String,

    /// <summary>One of <c>{ } ( ) [ ] , : =</c>.</summary>
    Punctuation,

    End,
}

/// <summary>One lexeme with the 1-based line and column where it starts, for error messages.</summary>
internal readonly record struct IrToken(IrTokenKind Kind, string Text, int Line, int Column)
{
    public bool Is(IrTokenKind kind, string text) => Kind == kind && Text == text;

    public string Describe() => Kind switch
    {
        IrTokenKind.End => "end of text",
        IrTokenKind.ValueName => $"'%{Text}'",
        IrTokenKind.String => $"string \"{Text}\"",
        _ => $"'{Text}'",
    };
}
