using System.Globalization;
using System.Text;

namespace Llmc.Runtime.Templates;

/// <summary>
/// Jinja's filters as transformers' environment has them (<c>tojson</c> is transformers' own: see
/// <see cref="TemplateJson"/>): abs, capitalize, count, default/d, dictsort, escape/e, first, float, indent, int, items,
/// join, last, length, list, lower, map, reject, rejectattr, replace, round, safe, select, selectattr, sort, string,
/// sum, title, tojson, trim, unique, upper. Others are refused by name.
/// </summary>
public static class TemplateFilters
{
    public static object? Apply(string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> keywords)
    {
        object? Arg(int index, string keyword, object? fallback) =>
            index < args.Count ? args[index] : keywords.TryGetValue(keyword, out var v) ? v : fallback;
        switch (name)
        {
            case "tojson":
                return TemplateJson.Dumps(value, Arg(0, "indent", null) is long indent ? (int)indent : null);
            case "trim":
                return Arg(0, "chars", null) is string chars ? Text(value).Trim(chars.ToCharArray()) : Text(value).Trim();
            case "length" or "count":
                return value switch
                {
                    string s => (object)(long)PyIteration.Characters(s).Count,
                    List<object?> list => (long)list.Count,
                    OrderedDictionary<string, object?> dict => (long)dict.Count,
                    Undefined => 0L,
                    _ => throw new TemplateException($"object of type '{PyValues.TypeName(value)}' has no len()"),
                };
            case "items":
                return value switch
                {
                    OrderedDictionary<string, object?> dict => new PyGenerator([.. dict.Select(p => (object?)new List<object?> { p.Key, p.Value })]),
                    Undefined => new PyGenerator([]),
                    _ => throw new TemplateException($"can only get item pairs from a mapping, not '{PyValues.TypeName(value)}'"),
                };
            case "join":
            {
                var items = PyIteration.Items(value);
                if (Arg(1, "attribute", null) is string attribute) items = [.. items.Select(i => PyAccess.Item(i, attribute))];
                return string.Join(Arg(0, "d", "") as string ?? "", items.Select(PyValues.Str));
            }
            case "lower":
                return Text(value).ToLowerInvariant();
            case "upper":
                return Text(value).ToUpperInvariant();
            case "title":
                return Title(Text(value));
            case "capitalize":
                return Capitalize(Text(value));
            case "default" or "d":
            {
                var fallback = Arg(0, "default_value", "");
                var boolean = PyValues.Truthy(Arg(1, "boolean", false));
                return value is Undefined || (boolean && !PyValues.Truthy(value)) ? fallback : value;
            }
            case "first":
                return PyIteration.Items(value) is { Count: > 0 } f ? f[0] : new Undefined("no first item, sequence was empty");
            case "last":
                return PyIteration.Items(value) is { Count: > 0 } all ? all[^1] : new Undefined("no last item, sequence was empty");
            case "list":
                return PyIteration.Items(value).ToList();
            case "string":
                return PyValues.Str(value);
            case "safe":
                return value as PyMarkup ?? new PyMarkup(Text(value));
            case "escape" or "e":
                return value as PyMarkup ?? new PyMarkup(PyMarkup.Escape(Text(value)));
            case "replace":
                return PyMethods.Bind(Text(value), "replace")!([.. args], keywords);
            case "indent":
                return Indent(Text(value), Arg(0, "width", 4L), PyValues.Truthy(Arg(1, "first", false)), PyValues.Truthy(Arg(2, "blank", false)));
            case "int":
                return ToInt(value, Arg(0, "default", 0L));
            case "float":
                return value switch
                {
                    long whole => (double)whole,
                    double d => d,
                    string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
                    _ => Arg(0, "default", 0.0),
                };
            case "abs":
                return value switch { long whole => (object)Math.Abs(whole), double d => Math.Abs(d), _ => throw new TemplateException($"bad operand type for abs(): '{PyValues.TypeName(value)}'") };
            case "round":
            {
                var digits = (int)(Arg(0, "precision", 0L) as long? ?? 0);
                var method = Arg(1, "method", "common") as string;
                var x = PyValues.ToDouble(value!);
                var scale = Math.Pow(10, digits);
                return method switch
                {
                    "floor" => Math.Floor(x * scale) / scale,
                    "ceil" => Math.Ceiling(x * scale) / scale,
                    _ => Math.Round(x * scale, MidpointRounding.AwayFromZero) / scale,
                };
            }
            case "unique":
            {
                var seen = new List<object?>();
                var caseSensitive = PyValues.Truthy(Arg(0, "case_sensitive", false));
                foreach (var item in PyIteration.Items(value))
                {
                    object? Key(object? v) => !caseSensitive && v is string s ? s.ToLowerInvariant() : v;
                    if (!seen.Any(s => PyValues.Equal(Key(s), Key(item)))) seen.Add(item);
                }
                return new PyGenerator(seen);
            }
            // Jinja's map and select family iterate only a true value: none gives an empty generator.
            case "map":
                return new PyGenerator(PyValues.Truthy(value) ? Map(value, args, keywords) : []);
            case "select" or "reject":
            {
                var keep = name == "select";
                return new PyGenerator(PyValues.Truthy(value) ? [.. PyIteration.Items(value).Where(item => Passes(item, args, 0) == keep)] : []);
            }
            case "selectattr" or "rejectattr":
            {
                var keep = name == "selectattr";
                var attribute = args.Count > 0 ? PyValues.Str(args[0]) : throw new TemplateException($"{name} needs an attribute");
                return new PyGenerator(PyValues.Truthy(value) ? [.. PyIteration.Items(value).Where(item => Passes(PyAccess.Item(item, attribute), args, 1) == keep)] : []);
            }
            case "sum":
                return PyIteration.Items(value).Aggregate(Arg(1, "start", 0L), (total, item) => PyOperators.Binary("+", total, item));
            case "sort":
            {
                var items = PyIteration.Items(value).ToList();
                var attribute = Arg(2, "attribute", null) as string;
                var caseSensitive = PyValues.Truthy(Arg(1, "case_sensitive", false));
                object? Key(object? v)
                {
                    var key = attribute is null ? v : PyAccess.Item(v, attribute);
                    return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
                }
                var sorted = items.OrderBy(Key, Comparer<object?>.Create(PyValues.Compare)).ToList();
                if (PyValues.Truthy(Arg(0, "reverse", false))) sorted.Reverse();
                return sorted;
            }
            case "dictsort":
            {
                if (value is not OrderedDictionary<string, object?> dict) throw new TemplateException("dictsort needs a mapping");
                return dict.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList();
            }
            default:
                throw new TemplateException($"unsupported template filter '{name}'");
        }
    }

    /// <summary>A value as text for string filters (Python's str(); an undefined value is empty).</summary>
    private static string Text(object? value) => PyValues.Str(value);

    private static bool Passes(object? item, IReadOnlyList<object?> args, int testAt) =>
        args.Count <= testAt ? PyValues.Truthy(item) : TemplateTests.Apply(PyValues.Str(args[testAt]), item, [.. args.Skip(testAt + 1)]);

    private static List<object?> Map(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> keywords)
    {
        var items = PyIteration.Items(value);
        if (keywords.TryGetValue("attribute", out var attribute))
        {
            var fallback = keywords.GetValueOrDefault("default");
            return [.. items.Select(i => PyAccess.Item(i, attribute) is Undefined && keywords.ContainsKey("default") ? fallback : PyAccess.Item(i, attribute))];
        }
        if (args.Count == 0) throw new TemplateException("map needs a filter name or attribute=");
        var filter = PyValues.Str(args[0]);
        return [.. items.Select(i => Apply(filter, i, [.. args.Skip(1)], new Dictionary<string, object?>()))];
    }

    private static object? ToInt(object? value, object? fallback) => value switch
    {
        long l => l,
        double d => (long)Math.Truncate(d),
        bool b => b ? 1L : 0L,
        string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) => parsed,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (long)Math.Truncate(d),
        _ => fallback,
    };

    /// <summary>Jinja's indent: every line after the first gets the indentation (the first too with <paramref name="first"/>); blank lines only with <paramref name="blank"/>.</summary>
    private static string Indent(string s, object? width, bool first, bool blank)
    {
        var indentation = width is string text ? text : new string(' ', (int)(width as long? ?? 4));
        var lines = (s + "\n").Split(["\r\n", "\n", "\r"], StringSplitOptions.None).SkipLast(1).ToList();
        var b = new StringBuilder(lines.Count > 0 ? lines[0] : "");
        for (var i = 1; i < lines.Count; i++)
            b.Append('\n').Append(blank || lines[i].Length > 0 ? indentation + lines[i] : lines[i]);
        return first ? indentation + b : b.ToString();
    }

    /// <summary>Python's <c>str.title()</c>: each run of letters starts upper case, the rest lower.</summary>
    public static string Title(string s)
    {
        var b = new StringBuilder(s.Length);
        var previousIsLetter = false;
        foreach (var c in s)
        {
            b.Append(previousIsLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousIsLetter = char.IsLetter(c);
        }
        return b.ToString();
    }

    /// <summary>Python's <c>str.capitalize()</c>: the first character upper case, the rest lower.</summary>
    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
}
