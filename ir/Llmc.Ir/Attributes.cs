using System.Globalization;

namespace Llmc.Ir;

/// <summary>
/// Node attributes: compile-time constants of type long, double, string or long[].
/// Kept sorted by name so printing is deterministic.
/// </summary>
public sealed class Attributes : SortedDictionary<string, object>
{
    public Attributes() : base(StringComparer.Ordinal)
    {
    }

    public Attributes(IEnumerable<KeyValuePair<string, object>> items) : this()
    {
        foreach (var (k, v) in items) Set(k, v);
    }

    public Attributes Set(string name, object value)
    {
        this[name] = value switch
        {
            int i => (long)i,
            long or double or string or long[] => value,
            float f => (double)f,
            int[] a => a.Select(x => (long)x).ToArray(),
            _ => throw new IrException($"attribute '{name}' has unsupported type {value.GetType().Name}"),
        };
        return this;
    }

    public long GetLong(string name) => Get<long>(name);

    public int GetInt(string name) => checked((int)Get<long>(name));

    public double GetDouble(string name) => TryGetValue(name, out var v) && v is long l ? l : Get<double>(name);

    public string GetString(string name) => Get<string>(name);

    private T Get<T>(string name) =>
        TryGetValue(name, out var v) ? v is T t ? t : throw new IrException($"attribute '{name}' is {v.GetType().Name}, expected {typeof(T).Name}")
        : throw new IrException($"missing attribute '{name}'");

    public static string Format(object value) => value switch
    {
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        long[] a => "[" + string.Join(", ", a.Select(x => x.ToString(CultureInfo.InvariantCulture))) + "]",
        _ => throw new IrException($"unsupported attribute value {value}"),
    };

    // A double always carries a '.' or an exponent so the parser can tell it from a long.
    private static string FormatDouble(double d)
    {
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') || s.Contains("Infinity") || s.Contains("NaN") ? s : s + ".0";
    }
}
