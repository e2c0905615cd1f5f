using System.Globalization;
using System.Text;

namespace Llmc.Runtime.Templates;

/// <summary>
/// Template values follow Python's semantics, because the reference renderer is Python's jinja2: null is None,
/// <see cref="long"/> and <see cref="double"/> stay apart (3 prints as 3, 90.0 as 90.0), lists are
/// <see cref="List{T}"/> of values, dicts are <see cref="OrderedDictionary{TKey,TValue}"/> in insertion order. This
/// class holds what Python's built-ins do with them: str(), repr(), truth, equality and ordering.
/// </summary>
public static class PyValues
{
    /// <summary>Python's <c>str(value)</c>, as <c>{{ value }}</c> prints it (an undefined value prints as nothing).</summary>
    public static string Str(object? value) => value switch
    {
        string s => s,
        PyMarkup m => m.Text,
        Undefined => "",
        _ => Repr(value),
    };

    /// <summary>Python's <c>repr(value)</c>: strings quoted, None, True/False, floats with their shortest round-trip digits.</summary>
    public static string Repr(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        string s => StringRepr(s),
        List<object?> list => "[" + string.Join(", ", list.Select(Repr)) + "]",
        OrderedDictionary<string, object?> dict => "{" + string.Join(", ", dict.Select(p => $"{StringRepr(p.Key)}: {Repr(p.Value)}")) + "}",
        Undefined => "",
        Namespace => "<Namespace>",
        PyGenerator => "<generator object>",
        _ => value.ToString() ?? "",
    };

    /// <summary>Python's float repr: the shortest digits that round-trip, fixed notation for exponents -4 to 15, else <c>1e-05</c> style.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return BitConverter.DoubleToInt64Bits(d) < 0 ? "-0.0" : "0.0";
        // "R" gives the shortest digits that round-trip (as Python's repr does); they are re-laid in Python's notation.
        var (digits, exponent) = DigitsOf(d.ToString("R", CultureInfo.InvariantCulture));
        var sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16)
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        if (exponent < 0) return $"{sign}0.{new string('0', -exponent - 1)}{digits}";
        if (digits.Length <= exponent + 1) return $"{sign}{digits}{new string('0', exponent + 1 - digits.Length)}.0";
        return $"{sign}{digits[..(exponent + 1)]}.{digits[(exponent + 1)..]}";
    }

    /// <summary>The significant digits (no leading or trailing zeros) and the decimal exponent of the first digit.</summary>
    private static (string Digits, int Exponent) DigitsOf(string roundTrip)
    {
        var s = roundTrip.TrimStart('-');
        var exponent = 0;
        var e = s.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(s[(e + 1)..], CultureInfo.InvariantCulture);
            s = s[..e];
        }
        var point = s.IndexOf('.');
        var whole = point < 0 ? s : s[..point];
        var fraction = point < 0 ? "" : s[(point + 1)..];
        var all = whole + fraction;
        var leading = all.Length - all.TrimStart('0').Length;
        exponent += whole.Length - 1 - leading;
        var digits = all.Trim('0');
        return (digits.Length == 0 ? "0" : digits, exponent);
    }

    /// <summary>Python's repr of a string: single quotes unless it holds one and no double quote, escapes for controls.</summary>
    public static string StringRepr(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var b = new StringBuilder().Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (c == quote) b.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7f) b.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    else b.Append(c);
                    break;
            }
        }
        return b.Append(quote).ToString();
    }

    /// <summary>Python's truth: None, undefined, False, 0, 0.0 and empty strings, lists and dicts are false.</summary>
    public static bool Truthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        PyMarkup m => m.Text.Length > 0,
        List<object?> list => list.Count > 0,
        OrderedDictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    /// <summary>Python's <c>==</c>: numbers by value across int and float, lists and dicts element by element.</summary>
    public static bool Equal(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a!) == ToDouble(b!);
        if (a is PyMarkup ma) a = ma.Text;
        if (b is PyMarkup mb) b = mb.Text;
        return (a, b) switch
        {
            (null, null) => true,
            (string x, string y) => x == y,
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
            (OrderedDictionary<string, object?> x, OrderedDictionary<string, object?> y) =>
                x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && Equal(p.Value, v)),
            _ => ReferenceEquals(a, b),
        };
    }

    /// <summary>Python's ordering of numbers or of strings; anything else is a TypeError.</summary>
    public static int Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a!).CompareTo(ToDouble(b!));
        if (a is string x && b is string y) return string.CompareOrdinal(x, y);
        throw new TemplateException($"'<' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>Whether a value is a Python int or float (bool counts, as in Python).</summary>
    public static bool IsNumber(object? value) => value is long or double or bool;

    public static double ToDouble(object value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new TemplateException($"'{TypeName(value)}' is not a number"),
    };

    /// <summary>Python's name of a value's type, for error messages.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string or PyMarkup => "str",
        List<object?> => "list",
        OrderedDictionary<string, object?> => "dict",
        Undefined => "Undefined",
        Namespace => "Namespace",
        PyGenerator => "generator",
        _ => value.GetType().Name,
    };
}
