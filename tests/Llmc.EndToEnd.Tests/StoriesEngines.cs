using Llmc.Compiler.Build;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests;

/// <summary>stories260K engines built once for the whole test run, one per CPU target this machine can run.</summary>
public sealed class StoriesEngines : IDisposable
{
    private readonly Dictionary<string, string> _paths = [];

    public StoriesEngines()
    {
        Directory = Path.Combine(Path.GetTempPath(), "llmc-e2e-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public static string Source => TestPaths.Model("stories260k-hf");

    public string For(string target)
    {
        lock (_paths)
        {
            if (_paths.TryGetValue(target, out var known)) return known;
            var path = Path.Combine(Directory, $"stories-{target}.llmc");
            EngineBuilder.Build(new BuildOptions { Source = Source, Target = target, Output = path });
            return _paths[target] = path;
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A mapped engine may still be open on some platforms; the temp folder is not worth failing a run.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StoriesCollection : ICollectionFixture<StoriesEngines>
{
    public const string Name = "stories engines";
}
