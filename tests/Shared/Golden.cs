namespace Llmc.Tests;

/// <summary>
/// Golden-file snapshots: text compared with a file kept beside the tests. A mismatch fails; the file is rewritten only
/// when LLMC_UPDATE_GOLDEN=1 is set, and that run still fails so an update is never silent.
/// </summary>
public static class Golden
{
    public const string UpdateVariable = "LLMC_UPDATE_GOLDEN";

    /// <param name="relativePath">Path under the repository, e.g. <c>tests/Llmc.Compiler.Tests/Golden/dce.ir</c>.</param>
    public static void AssertMatches(string actual, string relativePath)
    {
        var path = Path.Combine(TestPaths.RepoRoot, relativePath);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            Assert.Fail($"golden file {relativePath} rewritten ({UpdateVariable}=1); review the diff and run again without it");
        }
        Assert.True(File.Exists(path), $"golden file {relativePath} is missing; create it with {UpdateVariable}=1");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
    }
}
