namespace Llmc.Runtime.Templates;

/// <summary>
/// A chat template that cannot be parsed or rendered: a syntax error or unsupported construct (with its line), a
/// value of the wrong type, or the template's own <c>raise_exception(message)</c> (<see cref="Raised"/>).
/// </summary>
public sealed class TemplateException(string message, bool raised = false, int? line = null) : LlmcException(message)
{
    /// <summary>Whether the template itself refused the input through <c>raise_exception</c> (the message is its own).</summary>
    public bool Raised { get; } = raised;

    /// <summary>The template line the error is on, once known; the message then starts with it.</summary>
    public int? Line { get; } = line;

    /// <summary>An error on template line <paramref name="line"/>: "line N: what".</summary>
    public static TemplateException At(int line, string what) => new($"line {line}: {what}", line: line);
}
