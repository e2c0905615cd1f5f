namespace Llmc.Runtime.Templates;

/// <summary>What iterating a value gives, as in Python: a list's items, a dict's keys, a string's characters (code points); an undefined value gives nothing.</summary>
public static class PyIteration
{
    public static List<object?> Items(object? value) => value switch
    {
        List<object?> list => list,
        PyGenerator generator => generator.Items,
        OrderedDictionary<string, object?> dict => [.. dict.Keys],
        string s => [.. Characters(s)],
        Undefined => [],
        _ => throw new TemplateException($"'{PyValues.TypeName(value)}' object is not iterable"),
    };

    /// <summary>A string's characters as Python counts them: Unicode code points (a surrogate pair is one).</summary>
    public static List<string> Characters(string s) => [.. s.EnumerateRunes().Select(r => r.ToString())];

    /// <summary>Whether Python could iterate the value (strings, lists, dicts).</summary>
    public static bool IsIterable(object? value) => value is List<object?> or PyGenerator or OrderedDictionary<string, object?> or string;
}
