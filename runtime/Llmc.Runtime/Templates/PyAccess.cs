namespace Llmc.Runtime.Templates;

/// <summary>
/// Jinja's lookups: <c>x.name</c> tries the value's methods first, then its items (so <c>message.content</c> reads the
/// dict's key and <c>message.items</c> its method); <c>x[key]</c> tries items first, then methods. Misses are
/// <see cref="Undefined"/>; looking into an undefined value is an error. Slices follow Python, strings by code point.
/// </summary>
public static class PyAccess
{
    public static object? Attribute(object? target, string name)
    {
        switch (target)
        {
            case Undefined u:
                throw u.Error();
            case Namespace ns:
                return ns.Attributes.TryGetValue(name, out var attribute) ? attribute : new Undefined($"'Namespace' has no attribute '{name}'");
            case LoopState loop:
                return loop.Attribute(name);
        }
        if (PyMethods.Bind(target, name) is { } method) return method;
        if (target is OrderedDictionary<string, object?> dict && dict.TryGetValue(name, out var value)) return value;
        return new Undefined($"'{PyValues.TypeName(target)} object' has no attribute '{name}'");
    }

    public static object? Item(object? target, object? key)
    {
        switch (target, key)
        {
            case (Undefined u, _):
                throw u.Error();
            case (OrderedDictionary<string, object?> dict, string k) when dict.TryGetValue(k, out var value):
                return value;
            case (List<object?> list, long i):
                return Index(list.Count, i) is { } item ? list[item] : new Undefined($"list index {i} out of range");
            case (string s, long i):
            {
                var characters = PyIteration.Characters(s);
                return Index(characters.Count, i) is { } character ? characters[character] : new Undefined($"string index {i} out of range");
            }
            case (_, string name) when target is not OrderedDictionary<string, object?>:
                return Attribute(target, name);
            case (Namespace or LoopState, string name):
                return Attribute(target, name);
            default:
                return new Undefined($"'{PyValues.TypeName(target)} object' has no item {PyValues.Repr(key)}");
        }
    }

    private static int? Index(int count, long i)
    {
        var at = i < 0 ? count + i : i;
        return at >= 0 && at < count ? (int)at : null;
    }

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        var by = step is null ? 1 : ToIndex(step);
        if (by == 0) throw new TemplateException("slice step cannot be zero");
        switch (target)
        {
            case List<object?> list:
                return Pick(list, start, stop, by);
            case string s:
                return string.Concat(Pick(PyIteration.Characters(s), start, stop, by));
            case Undefined u:
                throw u.Error();
            default:
                throw new TemplateException($"'{PyValues.TypeName(target)}' object is not subscriptable");
        }
    }

    private static List<T> Pick<T>(List<T> items, object? start, object? stop, long step)
    {
        var n = items.Count;
        long Clamp(object? bound, long fallback)
        {
            if (bound is null) return fallback;
            var i = ToIndex(bound);
            if (i < 0) i += n;
            return step > 0 ? Math.Clamp(i, 0, n) : Math.Clamp(i, -1, n - 1);
        }
        var (from, to) = step > 0 ? (Clamp(start, 0), Clamp(stop, n)) : (Clamp(start, n - 1), Clamp(stop, -1));
        var picked = new List<T>();
        for (var i = from; step > 0 ? i < to : i > to; i += step) picked.Add(items[(int)i]);
        return picked;
    }

    private static long ToIndex(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new TemplateException($"slice indices must be integers, not '{PyValues.TypeName(value)}'"),
    };
}
