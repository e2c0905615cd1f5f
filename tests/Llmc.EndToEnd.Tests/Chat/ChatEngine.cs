using Llmc.Compiler.Build;
using Llmc.Runtime;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Chat;

/// <summary>stories260K built once with Phi-3.5's chat template (the model has none), loaded for the chat tests.</summary>
public sealed class ChatEngine : IDisposable
{
    public ChatEngine()
    {
        Folder = Directory.CreateTempSubdirectory("llmc-chat-").FullName;
        Path = System.IO.Path.Combine(Folder, "chat.llmc");
        EngineBuilder.Build(new BuildOptions
        {
            Source = StoriesEngines.Source,
            Target = Runtime.Devices.Cpu.CpuIsa.Avx2Target,
            Output = Path,
            ChatTemplate = TestPaths.Model("chat-templates", "microsoft-Phi-3.5-mini-instruct.jinja"),
        });
        Engine = Engine.Load(Path);
    }

    public string Folder { get; }

    public string Path { get; }

    public Engine Engine { get; }

    public void Dispose()
    {
        Engine.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ChatEngineCollection : ICollectionFixture<ChatEngine>
{
    public const string Name = "chat engine";
}
