using System.Globalization;
using System.Text;

namespace Llmc.Runtime.Templates;

/// <summary>
/// The functions every chat template can call: Jinja's <c>range</c>, <c>namespace</c> and <c>dict</c>, and
/// transformers' <c>raise_exception(message)</c> and <c>strftime_now(format)</c> (Python's strftime of the render's clock).
/// </summary>
public static class TemplateGlobals
{
    public static void AddTo(TemplateScope scope, DateTime now)
    {
        scope.Set("range", new TemplateFunction((args, _) => Range(args)));
        scope.Set("namespace", new TemplateFunction((args, keywords) =>
        {
            var ns = new Namespace();
            if (args.Count > 0 && args[0] is OrderedDictionary<string, object?> initial)
                foreach (var (k, v) in initial) ns.Attributes[k] = v;
            foreach (var (k, v) in keywords) ns.Attributes[k] = v;
            return ns;
        }));
        scope.Set("dict", new TemplateFunction((_, keywords) => TemplateJson.Dict(keywords.Select(p => (p.Key, p.Value)))));
        scope.Set("raise_exception", new TemplateFunction((args, _) => throw new TemplateException(args.Count > 0 ? PyValues.Str(args[0]) : "", raised: true)));
        scope.Set("strftime_now", new TemplateFunction((args, _) => StrFTime(now, args.Count > 0 ? PyValues.Str(args[0]) : "")));
    }

    private static List<object?> Range(IReadOnlyList<object?> args)
    {
        long Int(int i) => args[i] as long? ?? throw new TemplateException("range() takes integers");
        var (start, stop, step) = args.Count switch
        {
            1 => (0L, Int(0), 1L),
            2 => (Int(0), Int(1), 1L),
            3 => (Int(0), Int(1), Int(2)),
            _ => throw new TemplateException($"range expected 1 to 3 arguments, got {args.Count}"),
        };
        if (step == 0) throw new TemplateException("range() arg 3 must not be zero");
        var items = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            items.Add(i);
            if (items.Count > 100_000) throw new TemplateException("range() is too long for a template");
        }
        return items;
    }

    /// <summary>Python's <c>strftime</c> in the C locale: %a %A %b %B %d %H %I %j %m %M %p %S %y %Y %%.</summary>
    public static string StrFTime(DateTime t, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                b.Append(format[i]);
                continue;
            }
            var code = format[++i];
            b.Append(code switch
            {
                'a' => t.ToString("ddd", c),
                'A' => t.ToString("dddd", c),
                'b' => t.ToString("MMM", c),
                'B' => t.ToString("MMMM", c),
                'd' => t.ToString("dd", c),
                'H' => t.ToString("HH", c),
                'I' => t.ToString("hh", c),
                'j' => t.DayOfYear.ToString("000", c),
                'm' => t.ToString("MM", c),
                'M' => t.ToString("mm", c),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'S' => t.ToString("ss", c),
                'y' => t.ToString("yy", c),
                'Y' => t.Year.ToString(c),
                '%' => "%",
                _ => throw new TemplateException($"strftime_now: unsupported format code '%{code}'"),
            });
        }
        return b.ToString();
    }
}
