namespace Llmc.Runtime.Templates;

/// <summary>
/// A chat template that cannot be parsed or rendered: a syntax error or unsupported construct (with its line), a
/// value of the wrong type, or the template's own <c>raise_exception(message)</c> (<see cref="Raised"/>).
/// </summary>
public sealed class TemplateException(string message, bool raised = false) : LlmcException(message)
{
    /// <summary>Whether the template itself refused the input through <c>raise_exception</c> (the message is its own).</summary>
    public bool Raised { get; } = raised;
}
