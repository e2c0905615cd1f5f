namespace Llmc.Ir.Tests;

/// <summary>The .ir fixture files copied beside the test assembly.</summary>
public static class Fixtures
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>Fixture file names, as xunit theory data.</summary>
    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var path in System.IO.Directory.GetFiles(Directory, "*.ir").Order(StringComparer.Ordinal))
            names.Add(Path.GetFileName(path));
        return names;
    }

    public static string Text(string name) => File.ReadAllText(Path.Combine(Directory, name));

    public static Graph Load(string name) => Parser.Parse(Text(name), name);
}
