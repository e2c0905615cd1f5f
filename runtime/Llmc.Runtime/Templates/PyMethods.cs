namespace Llmc.Runtime.Templates;

/// <summary>
/// The Python methods templates call on values: on strings <c>strip lstrip rstrip split startswith endswith lower
/// upper title capitalize replace find count splitlines join</c>, on dicts <c>items keys values get</c>. Methods that
/// change a value (<c>append</c>, <c>update</c>, ...) are refused, as transformers' immutable sandbox refuses them.
/// </summary>
public static class PyMethods
{
    private static readonly HashSet<string> Mutating = ["append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "sort", "reverse", "popitem"];

    /// <summary>The method <paramref name="name"/> bound to <paramref name="target"/>, or null when it has none.</summary>
    public static TemplateFunction? Bind(object? target, string name)
    {
        if (target is List<object?> or OrderedDictionary<string, object?> && Mutating.Contains(name))
            return (_, _) => throw new TemplateException($"access to the {PyValues.TypeName(target)} method '{name}' is unsafe: templates cannot change values");
        return target switch
        {
            string s => StringMethod(s, name),
            OrderedDictionary<string, object?> dict => DictMethod(dict, name),
            _ => null,
        };
    }

    private static TemplateFunction? DictMethod(OrderedDictionary<string, object?> dict, string name) => name switch
    {
        "items" => (_, _) => dict.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList(),
        "keys" => (_, _) => dict.Keys.Select(k => (object?)k).ToList(),
        "values" => (_, _) => dict.Values.ToList(),
        "get" => (args, _) => args.Count > 0 && args[0] is string k && dict.TryGetValue(k, out var v) ? v : args.Count > 1 ? args[1] : null,
        _ => null,
    };

    private static TemplateFunction? StringMethod(string s, string name) => name switch
    {
        "strip" => (args, _) => Strip(s, Chars(args), start: true, end: true),
        "lstrip" => (args, _) => Strip(s, Chars(args), start: true, end: false),
        "rstrip" => (args, _) => Strip(s, Chars(args), start: false, end: true),
        "split" => (args, kw) => Split(s, Arg(args, kw, 0, "sep") as string, Arg(args, kw, 1, "maxsplit") is long n ? n : -1),
        "splitlines" => (_, _) => s.Split(["\r\n", "\n", "\r"], StringSplitOptions.None).Select(l => (object?)l).SkipLast(s.EndsWith('\n') || s.EndsWith('\r') ? 1 : 0).ToList(),
        "startswith" => (args, _) => Affixes(args).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => (args, _) => Affixes(args).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
        "lower" => (_, _) => s.ToLowerInvariant(),
        "upper" => (_, _) => s.ToUpperInvariant(),
        "title" => (_, _) => TemplateFilters.Title(s),
        "capitalize" => (_, _) => TemplateFilters.Capitalize(s),
        "replace" => (args, _) => Replace(s, (string)args[0]!, (string)args[1]!, args.Count > 2 ? (long)args[2]! : -1),
        "find" => (args, _) => (long)s.IndexOf((string)args[0]!, StringComparison.Ordinal),
        "count" => (args, _) => (long)Count(s, (string)args[0]!),
        "join" => (args, _) => string.Join(s, PyIteration.Items(args[0]).Select(PyValues.Str)),
        "format" => (_, _) => throw new TemplateException("str.format is not supported in templates"),
        _ => null,
    };

    private static object? Arg(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> keywords, int index, string name) =>
        index < args.Count ? args[index] : keywords.GetValueOrDefault(name);

    private static string? Chars(IReadOnlyList<object?> args) => args.Count > 0 ? args[0] as string : null;

    private static IEnumerable<string> Affixes(IReadOnlyList<object?> args) => args[0] switch
    {
        string one => [one],
        List<object?> several => several.Select(PyValues.Str),
        _ => throw new TemplateException("startswith/endswith take a string or a tuple of strings"),
    };

    private static string Strip(string s, string? chars, bool start, bool end)
    {
        if (chars is null) return start && end ? s.Trim() : start ? s.TrimStart() : s.TrimEnd();
        var set = chars.ToCharArray();
        return start && end ? s.Trim(set) : start ? s.TrimStart(set) : s.TrimEnd(set);
    }

    /// <summary>Python's <c>str.split</c>: on runs of whitespace without a separator (no empty parts), else on each separator.</summary>
    private static List<object?> Split(string s, string? separator, long maxSplit)
    {
        if (separator == "") throw new TemplateException("empty separator");
        var parts = new List<object?>();
        if (separator is null)
        {
            var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (maxSplit < 0 || words.Length <= maxSplit + 1) return [.. words];
            var rest = s.TrimStart();
            for (var i = 0; i < maxSplit; i++)
            {
                var cut = rest.IndexOfAny([' ', '\t', '\n', '\r', '\f', '\v']);
                parts.Add(rest[..cut]);
                rest = rest[cut..].TrimStart();
            }
            parts.Add(rest);
            return parts;
        }
        var pieces = maxSplit < 0 ? s.Split(separator) : s.Split(separator, (int)maxSplit + 1);
        return [.. pieces];
    }

    private static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return s.Replace(old, replacement, StringComparison.Ordinal);
        var result = s;
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            var found = result.IndexOf(old, at, StringComparison.Ordinal);
            if (found < 0) break;
            result = result[..found] + replacement + result[(found + old.Length)..];
            at = found + replacement.Length;
        }
        return result;
    }

    private static int Count(string s, string part)
    {
        if (part.Length == 0) return PyIteration.Characters(s).Count + 1;
        var n = 0;
        for (var at = s.IndexOf(part, StringComparison.Ordinal); at >= 0; at = s.IndexOf(part, at + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
