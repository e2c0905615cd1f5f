using System.Text;

namespace Llmc.Runtime.Tokenization;

/// <summary>
/// Unicode normalization form C (UAX #15: canonical decomposition, canonical ordering, canonical composition), for the
/// tokenizers whose normalizer is NFC (Qwen). llmc runs in .NET's globalization-invariant mode, so the portable build
/// needs no ICU, and there <see cref="string.Normalize()"/> changes nothing; the canonical data comes from the Unicode
/// Character Database instead (unicode-nfc.txt, written by tools/unicode/make-nfc-table.py).
/// </summary>
public static class UnicodeNfc
{
    // Hangul syllables decompose and compose by arithmetic (Unicode chapter 3.12).
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Lazy<Tables> Data = new(Tables.Load);

    /// <summary>The Unicode version of the data.</summary>
    public static string UnicodeVersion => Data.Value.Version;

    public static string Normalize(string text)
    {
        // Nothing below U+0300 (the first combining mark) decomposes, composes or reorders under NFC.
        if (text.AsSpan().IndexOfAnyInRange('\u0300', '\uffff') < 0) return text;
        var tables = Data.Value;
        var points = Decompose(text, tables);
        Reorder(points, tables);
        Compose(points, tables);
        var result = new StringBuilder(text.Length);
        foreach (var cp in points) result.Append(char.ConvertFromUtf32(cp));
        return result.ToString();
    }

    private static List<int> Decompose(string text, Tables tables)
    {
        var points = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp - SBase is >= 0 and < SCount)
            {
                var s = cp - SBase;
                points.Add(LBase + s / NCount);
                points.Add(VBase + s % NCount / TCount);
                if (s % TCount != 0) points.Add(TBase + s % TCount);
            }
            else if (tables.Decompositions.TryGetValue(cp, out var parts)) points.AddRange(parts);
            else points.Add(cp);
        }
        return points;
    }

    /// <summary>Sorts each run of non-starters by combining class, keeping the order of equal classes.</summary>
    private static void Reorder(List<int> points, Tables tables)
    {
        for (var i = 1; i < points.Count; i++)
        {
            var cc = tables.Class(points[i]);
            if (cc == 0) continue;
            for (var j = i; j > 0 && tables.Class(points[j - 1]) > cc; j--) (points[j - 1], points[j]) = (points[j], points[j - 1]);
        }
    }

    /// <summary>Composes each character with the last starter before it when nothing between blocks them.</summary>
    private static void Compose(List<int> points, Tables tables)
    {
        int starter = -1, lastClass = 0, kept = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var cp = points[i];
            var cc = tables.Class(cp);
            var blocked = kept - 1 != starter && lastClass >= cc;
            if (starter >= 0 && !blocked && TryCompose(points[starter], cp, tables) is { } composite)
            {
                points[starter] = composite;
                continue;
            }
            if (cc == 0) starter = kept;
            lastClass = cc;
            points[kept++] = cp;
        }
        points.RemoveRange(kept, points.Count - kept);
    }

    private static int? TryCompose(int first, int second, Tables tables)
    {
        if (first - LBase is >= 0 and < LCount && second - VBase is >= 0 and < VCount)
            return SBase + ((first - LBase) * VCount + second - VBase) * TCount;
        if (first - SBase is >= 0 and < SCount && (first - SBase) % TCount == 0 && second - TBase is > 0 and < TCount)
            return first + second - TBase;
        return tables.Composites.TryGetValue(((long)first << 21) | (uint)second, out var composite) ? composite : null;
    }

    private sealed class Tables
    {
        public string Version { get; private set; } = "";

        public Dictionary<int, byte> Classes { get; } = [];

        public Dictionary<int, int[]> Decompositions { get; } = [];

        public Dictionary<long, int> Composites { get; } = [];

        public int Class(int cp) => Classes.TryGetValue(cp, out var cc) ? cc : 0;

        public static Tables Load()
        {
            using var stream = typeof(UnicodeNfc).Assembly.GetManifestResourceStream("Llmc.Runtime.Tokenization.unicode-nfc.txt")
                ?? throw new InvalidOperationException("unicode-nfc.txt is not embedded in Llmc.Runtime");
            using var reader = new StreamReader(stream);
            var tables = new Tables();
            while (reader.ReadLine() is { } line)
            {
                var fields = line.Split(' ');
                int Hex(int i) => Convert.ToInt32(fields[i], 16);
                switch (fields[0])
                {
                    case "v": tables.Version = fields[1]; break;
                    case "c": tables.Classes[Hex(1)] = byte.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture); break;
                    case "d": tables.Decompositions[Hex(1)] = [.. Enumerable.Range(2, fields.Length - 2).Select(Hex)]; break;
                    case "p": tables.Composites[((long)Hex(1) << 21) | (uint)Hex(2)] = Hex(3); break;
                    default: throw new InvalidOperationException($"unicode-nfc.txt: unknown line '{line}'");
                }
            }
            return tables;
        }
    }
}
