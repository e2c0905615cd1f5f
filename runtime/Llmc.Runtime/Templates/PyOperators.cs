namespace Llmc.Runtime.Templates;

/// <summary>Python's arithmetic, concatenation, comparison and membership on template values; an undefined operand is an error.</summary>
public static class PyOperators
{
    public static object? Unary(string op, object? value) => op switch
    {
        "not" => !PyValues.Truthy(value),
        "-" => value switch
        {
            long l => (object)-l,
            double d => -d,
            bool b => b ? -1L : 0L,
            Undefined u => throw u.Error(),
            _ => throw new TemplateException($"bad operand type for unary -: '{PyValues.TypeName(value)}'"),
        },
        "+" => PyValues.IsNumber(value) ? value : throw new TemplateException($"bad operand type for unary +: '{PyValues.TypeName(value)}'"),
        _ => throw new TemplateException($"unknown operator '{op}'"),
    };

    public static object? Binary(string op, object? a, object? b)
    {
        switch (op)
        {
            case "==": return PyValues.Equal(a, b);
            case "!=": return !PyValues.Equal(a, b);
            case "<": return PyValues.Compare(Defined(a), Defined(b)) < 0;
            case "<=": return PyValues.Compare(Defined(a), Defined(b)) <= 0;
            case ">": return PyValues.Compare(Defined(a), Defined(b)) > 0;
            case ">=": return PyValues.Compare(Defined(a), Defined(b)) >= 0;
            case "in": return Contains(b, a);
            case "not in": return !Contains(b, a);
            case "~": return PyValues.Str(a) + PyValues.Str(b);
        }
        a = Defined(a);
        b = Defined(b);
        switch (op, a, b)
        {
            case ("+", string x, string y): return x + y;
            case ("+", PyMarkup x, PyMarkup y): return new PyMarkup(x.Text + y.Text);
            case ("+", PyMarkup x, string y): return new PyMarkup(x.Text + PyMarkup.Escape(y));
            case ("+", string x, PyMarkup y): return new PyMarkup(PyMarkup.Escape(x) + y.Text);
            case ("+", List<object?> x, List<object?> y): return (List<object?>)[.. x, .. y];
            case ("*", string x, long n): return string.Concat(Enumerable.Repeat(x, (int)Math.Max(0, n)));
            case ("*", long n, string x): return string.Concat(Enumerable.Repeat(x, (int)Math.Max(0, n)));
            case ("*", List<object?> x, long n): return Enumerable.Repeat(x, (int)Math.Max(0, n)).SelectMany(l => l).ToList();
        }
        if (!PyValues.IsNumber(a) || !PyValues.IsNumber(b))
            throw new TemplateException($"unsupported operand type(s) for {op}: '{PyValues.TypeName(a)}' and '{PyValues.TypeName(b)}'");
        var integers = a is long or bool && b is long or bool;
        if (integers)
        {
            var (x, y) = ((long)PyValues.ToDouble(a!), (long)PyValues.ToDouble(b!));
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "//": return y == 0 ? throw new TemplateException("integer division or modulo by zero") : FloorDiv(x, y);
                case "%": return y == 0 ? throw new TemplateException("integer division or modulo by zero") : x - FloorDiv(x, y) * y;
                case "**" when y >= 0: return (long)Math.Pow(x, y);
            }
        }
        var (p, q) = (PyValues.ToDouble(a!), PyValues.ToDouble(b!));
        return op switch
        {
            "+" => p + q,
            "-" => p - q,
            "*" => p * q,
            "/" => q == 0 ? throw new TemplateException("division by zero") : p / q,
            "//" => q == 0 ? throw new TemplateException("float floor division by zero") : Math.Floor(p / q),
            "%" => q == 0 ? throw new TemplateException("float modulo") : p - Math.Floor(p / q) * q,
            "**" => Math.Pow(p, q),
            _ => throw new TemplateException($"unknown operator '{op}'"),
        };
    }

    private static long FloorDiv(long x, long y)
    {
        var quotient = x / y;
        return (x % y != 0 && (x < 0) != (y < 0)) ? quotient - 1 : quotient;
    }

    private static object? Defined(object? value) => value is Undefined u ? throw u.Error() : value;

    /// <summary>Python's <c>needle in haystack</c>: a substring, a list element, a dict key.</summary>
    public static bool Contains(object? haystack, object? needle) => haystack switch
    {
        string s when needle is string n => s.Contains(n, StringComparison.Ordinal),
        string => throw new TemplateException($"'in <string>' requires string as left operand, not {PyValues.TypeName(needle)}"),
        List<object?> list => list.Any(item => PyValues.Equal(item, needle)),
        OrderedDictionary<string, object?> dict => needle is string k && dict.ContainsKey(k),
        // Jinja's undefined iterates as empty, so nothing is in it.
        Undefined => false,
        _ => throw new TemplateException($"argument of type '{PyValues.TypeName(haystack)}' is not iterable"),
    };
}
