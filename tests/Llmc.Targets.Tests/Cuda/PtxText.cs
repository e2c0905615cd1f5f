using System.Runtime.CompilerServices;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>Reads PTX text: the body of one kernel entry, from its <c>.entry</c> line to the next entry.</summary>
public static class PtxText
{
    // The conformance build's PTX is tens of MB and the codegen tests ask it for hundreds of entries: splitting it on
    // every call made single tests take minutes, so each text is split into its entries once.
    private static readonly ConditionalWeakTable<string, Dictionary<string, string>> Entries = new();

    public static string Entry(string ptx, string name)
    {
        Assert.True(EntriesOf(ptx).TryGetValue(name, out var body), $"the PTX has no entry {name}");
        return body;
    }

    public static bool HasEntry(string ptx, string name) => EntriesOf(ptx).ContainsKey(name);

    private static Dictionary<string, string> EntriesOf(string ptx) => Entries.GetValue(ptx, Split);

    private static Dictionary<string, string> Split(string ptx)
    {
        const string marker = ".entry ";
        var lines = ptx.Split('\n');
        var starts = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains(marker, StringComparison.Ordinal)).ToList();
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var e = 0; e < starts.Count; e++)
        {
            var line = lines[starts[e]];
            var nameStart = line.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
            var name = line[nameStart..line.IndexOf('(', nameStart)];
            var end = e + 1 < starts.Count ? starts[e + 1] : lines.Length;
            entries[name] = string.Join('\n', lines[starts[e]..end]);
        }
        return entries;
    }
}
