namespace Llmc.Benchmarks;

/// <summary>Finds ../shared/models beside the repository the benchmarks run from.</summary>
public static class SharedModels
{
    public static string Path(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Compiler.sln"))) dir = dir.Parent;
        var root = dir?.FullName ?? throw new InvalidOperationException("run the benchmarks from inside the repository");
        return System.IO.Path.Combine([root, "..", "shared", "models", .. parts]);
    }
}
