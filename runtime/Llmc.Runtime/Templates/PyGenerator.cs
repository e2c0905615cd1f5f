namespace Llmc.Runtime.Templates;

/// <summary>
/// What Jinja's <c>map</c>, <c>select</c>, <c>reject</c>, <c>selectattr</c>, <c>rejectattr</c>, <c>unique</c> and
/// <c>items</c> filters return: a Python generator. It iterates like a list (for loops, <c>join</c>, <c>first</c>,
/// <c>list</c>), is always true, and is not a list: <c>tojson</c> and <c>length</c> of it fail as they do in Python.
/// </summary>
public sealed class PyGenerator(List<object?> items)
{
    public List<object?> Items { get; } = items;

    public override string ToString() => "<generator object>";
}
