using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Llmc.Runtime.Templates;

/// <summary>
/// JSON to template values and back. Reading keeps object key order and keeps integers (<see cref="long"/>) apart
/// from floats (<see cref="double"/>), as Python's <c>json.loads</c> does. Writing is transformers' <c>tojson</c>:
/// Python's <c>json.dumps(x, ensure_ascii=False, indent=indent)</c>, so <c>", "</c> and <c>": "</c> separators (","
/// at line ends when indenting), non-ASCII as is, floats as Python prints them.
/// </summary>
public static class TemplateJson
{
    public static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => Dict(element.EnumerateObject().Select(p => (p.Name, FromJson(p.Value)))),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => null,
        JsonValueKind.Number => Number(element.GetRawText()),
        _ => throw new TemplateException($"unexpected JSON value kind {element.ValueKind}"),
    };

    public static object? Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return FromJson(doc.RootElement);
    }

    public static OrderedDictionary<string, object?> Dict(IEnumerable<(string Key, object? Value)> pairs)
    {
        var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs) dict[key] = value;
        return dict;
    }

    private static object Number(string raw) =>
        raw.IndexOfAny(['.', 'e', 'E']) < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
            ? (object)l : double.Parse(raw, CultureInfo.InvariantCulture);

    /// <summary>Python's <c>json.dumps(value, ensure_ascii=False, indent=indent)</c>.</summary>
    public static string Dumps(object? value, int? indent = null)
    {
        var b = new StringBuilder();
        Write(b, value, indent, 0);
        return b.ToString();
    }

    private static void Write(StringBuilder b, object? value, int? indent, int depth)
    {
        switch (value)
        {
            case null: b.Append("null"); break;
            case bool v: b.Append(v ? "true" : "false"); break;
            case long v: b.Append(v.ToString(CultureInfo.InvariantCulture)); break;
            case double v: b.Append(double.IsNaN(v) ? "NaN" : double.IsInfinity(v) ? (v > 0 ? "Infinity" : "-Infinity") : PyValues.FloatRepr(v)); break;
            case string v: WriteString(b, v); break;
            case List<object?> list:
                WriteItems(b, '[', ']', list, indent, depth, (item, d) => Write(b, item, indent, d));
                break;
            case OrderedDictionary<string, object?> dict:
                WriteItems(b, '{', '}', dict.ToList(), indent, depth, (pair, d) =>
                {
                    WriteString(b, pair.Key);
                    b.Append(": ");
                    Write(b, pair.Value, indent, d);
                });
                break;
            case Undefined u: throw new TemplateException($"Object of type Undefined is not JSON serializable ({u.Description})");
            default: throw new TemplateException($"Object of type {PyValues.TypeName(value)} is not JSON serializable");
        }
    }

    private static void WriteItems<T>(StringBuilder b, char open, char close, IReadOnlyList<T> items, int? indent, int depth, Action<T, int> write)
    {
        b.Append(open);
        if (items.Count == 0)
        {
            b.Append(close);
            return;
        }
        for (var i = 0; i < items.Count; i++)
        {
            if (indent is { } n) b.Append('\n').Append(' ', n * (depth + 1));
            else if (i > 0) b.Append(' ');
            write(items[i], depth + 1);
            if (i < items.Count - 1) b.Append(',');
        }
        if (indent is { } m) b.Append('\n').Append(' ', m * depth);
        b.Append(close);
    }

    private static void WriteString(StringBuilder b, string s)
    {
        b.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                case '\b': b.Append("\\b"); break;
                case '\f': b.Append("\\f"); break;
                default:
                    if (c < 0x20) b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else b.Append(c);
                    break;
            }
        }
        b.Append('"');
    }
}
