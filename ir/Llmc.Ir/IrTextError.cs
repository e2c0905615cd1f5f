namespace Llmc.Ir;

/// <summary>Formats errors in IR text as <c>source:line:col: message</c>, the form editors and terminals link to.</summary>
internal static class IrTextError
{
    public static IrException At(string source, int line, int column, string message) =>
        new($"{source}:{line}:{column}: {message}");
}
