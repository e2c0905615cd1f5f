namespace Llmc.Runtime;

/// <summary>
/// An error the user can act on: the CLI prints its message as one line, without a stack trace.
/// </summary>
public class LlmcException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A model, tokenizer or engine file that cannot be used; the message starts with the file's path.</summary>
public sealed class ModelFileException(string path, string problem, Exception? inner = null)
    : LlmcException($"{path}: {problem}", inner)
{
    public string Path { get; } = path;

    public string Problem { get; } = problem;
}
