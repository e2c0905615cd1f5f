namespace Llmc.Targets.Tests.Cuda;

/// <summary>Reads PTX text: the body of one kernel entry, from its <c>.entry</c> line to the next entry.</summary>
public static class PtxText
{
    public static string Entry(string ptx, string name)
    {
        var lines = ptx.Split('\n');
        var start = Array.FindIndex(lines, l => l.Contains($".entry {name}(", StringComparison.Ordinal));
        Assert.True(start >= 0, $"the PTX has no entry {name}");
        var end = Array.FindIndex(lines, start + 1, l => l.Contains(".entry ", StringComparison.Ordinal));
        return string.Join('\n', lines[start..(end < 0 ? lines.Length : end)]);
    }
}
