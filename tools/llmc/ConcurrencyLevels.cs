using System.Globalization;
using Llmc.Runtime;

namespace Llmc.Cli;

/// <summary>The levels of a <c>--concurrency</c> option, e.g. <c>1,16,64</c>.</summary>
public static class ConcurrencyLevels
{
    /// <summary>The levels given; none when the option is not given.</summary>
    public static List<int> Parse(string? text)
    {
        if (text is null) return [];
        var levels = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
            levels.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new LlmcException($"--concurrency '{text}': '{part}' is not a positive request count"));
        return levels;
    }
}
