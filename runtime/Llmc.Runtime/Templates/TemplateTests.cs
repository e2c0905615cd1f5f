namespace Llmc.Runtime.Templates;

/// <summary>
/// Jinja's tests (<c>x is name</c>, and by name in <c>select</c>/<c>selectattr</c>): defined, undefined, none, boolean,
/// true, false, integer, float, number, string, mapping, iterable, sequence, callable, equalto/eq/==, ne/!=, lt/&lt;,
/// le/&lt;=, gt/&gt;, ge/&gt;=, in, odd, even, divisibleby, lower, upper, sameas. Others are refused by name.
/// </summary>
public static class TemplateTests
{
    public static bool Apply(string name, object? value, IReadOnlyList<object?> args)
    {
        object? Arg() => args.Count > 0 ? args[0] : throw new TemplateException($"test '{name}' needs an argument");
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "integer" => value is long,
            "float" => value is double,
            "number" => value is long or double,
            "string" => value is string,
            "mapping" => value is OrderedDictionary<string, object?> or Namespace,
            "iterable" => PyIteration.IsIterable(value) || value is Undefined,
            "sequence" => value is List<object?> or string,
            "callable" => value is TemplateFunction,
            "equalto" or "eq" or "==" => PyValues.Equal(value, Arg()),
            "ne" or "!=" => !PyValues.Equal(value, Arg()),
            "lt" or "lessthan" or "<" => PyValues.Compare(value, Arg()) < 0,
            "le" or "<=" => PyValues.Compare(value, Arg()) <= 0,
            "gt" or "greaterthan" or ">" => PyValues.Compare(value, Arg()) > 0,
            "ge" or ">=" => PyValues.Compare(value, Arg()) >= 0,
            "in" => PyOperators.Contains(Arg(), value),
            "odd" => value is long l && l % 2 != 0,
            "even" => value is long e && e % 2 == 0,
            "divisibleby" => value is long n && Arg() is long d && d != 0 && n % d == 0,
            "lower" => value is string s && s == s.ToLowerInvariant(),
            "upper" => value is string u && u == u.ToUpperInvariant(),
            "sameas" => ReferenceEquals(value, Arg()) || (value is null && Arg() is null) || (value is bool b && Arg() is bool c && b == c),
            _ => throw new TemplateException($"unsupported template test '{name}'"),
        };
    }
}
