namespace Llmc.Runtime.Templates;

/// <summary>The <c>loop</c> variable of a for loop: index, index0, revindex, revindex0, first, last, length, previtem, nextitem, cycle().</summary>
public sealed class LoopState(IReadOnlyList<object?> items)
{
    public int Index0 { get; set; }

    public object? Attribute(string name) => name switch
    {
        "index0" => (long)Index0,
        "index" => (long)(Index0 + 1),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "revindex" => (long)(items.Count - Index0),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 < items.Count - 1 ? items[Index0 + 1] : new Undefined("there is no next item"),
        "cycle" => new TemplateFunction((args, _) => args.Count == 0 ? throw new TemplateException("no items for cycling given") : args[Index0 % args.Count]),
        _ => new Undefined($"'loop' has no attribute '{name}'"),
    };
}
