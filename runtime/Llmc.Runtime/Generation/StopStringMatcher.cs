namespace Llmc.Runtime.Generation;

/// <summary>
/// Watches streamed text for stop strings that may span pieces: text that could still begin a stop string is held back
/// until it is known not to.
/// </summary>
public sealed class StopStringMatcher(IReadOnlyList<string> stops)
{
    private readonly System.Text.StringBuilder _pending = new();

    public bool Stopped { get; private set; }

    /// <summary>Adds a piece; returns the text now safe to emit (up to a stop string, if one completed).</summary>
    public string Push(string piece)
    {
        if (Stopped) return "";
        if (stops.Count == 0) return piece;
        _pending.Append(piece);
        var text = _pending.ToString();
        var cut = -1;
        foreach (var s in stops)
        {
            var at = text.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return text[..cut];
        }
        var hold = stops.Max(s => LongestSuffixThatPrefixes(text, s));
        _pending.Clear().Append(text, text.Length - hold, hold);
        return text[..^hold];
    }

    /// <summary>Whatever is still held back, at the end of generation.</summary>
    public string Flush()
    {
        var rest = _pending.ToString();
        _pending.Clear();
        return Stopped ? "" : rest;
    }

    private static int LongestSuffixThatPrefixes(string text, string stop)
    {
        for (var n = Math.Min(stop.Length - 1, text.Length); n > 0; n--)
            if (text.AsSpan(text.Length - n).SequenceEqual(stop.AsSpan(0, n))) return n;
        return 0;
    }
}
