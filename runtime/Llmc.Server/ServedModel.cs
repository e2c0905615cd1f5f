using Llmc.Runtime;
using Llmc.Runtime.Templates;

namespace Llmc.Server;

/// <summary>An engine the server offers under a model name; its chat prompt where the engine has a chat template.</summary>
public sealed class ServedModel(string name, Engine engine)
{
    public string Name { get; } = name;

    public Engine Engine { get; } = engine;

    public ChatPrompt? Chat { get; } = engine.Manifest.ChatTemplate is null ? null : new ChatPrompt(engine);

    /// <summary>The model name an engine file is served under: its file name without the extension.</summary>
    public static string NameOf(string enginePath) => Path.GetFileNameWithoutExtension(enginePath);
}
