using Llmc.Runtime;
using Llmc.Runtime.Templates;

namespace Llmc.Server;

/// <summary>
/// An engine the server offers under a model name; its chat prompt where the engine has a chat template, and the gate
/// that lets its engine's running sequences plus <paramref name="maxQueue"/> waiting ones in.
/// </summary>
public sealed class ServedModel(string name, Engine engine, int maxQueue = ServedModel.DefaultMaxQueue)
{
    /// <summary>Sequences that may wait for a free slot before requests are refused with 429.</summary>
    public const int DefaultMaxQueue = 256;

    public string Name { get; } = name;

    public Engine Engine { get; } = engine;

    public ChatPrompt? Chat { get; } = engine.Manifest.ChatTemplate is null ? null : new ChatPrompt(engine);

    public AdmissionGate Admission { get; } = maxQueue >= 0
        ? new AdmissionGate(engine.MaxSequences + maxQueue)
        : throw new LlmcException($"the queue limit must be >= 0, got {maxQueue}");

    /// <summary>The model name an engine file is served under: its file name without the extension.</summary>
    public static string NameOf(string enginePath) => Path.GetFileNameWithoutExtension(enginePath);
}
