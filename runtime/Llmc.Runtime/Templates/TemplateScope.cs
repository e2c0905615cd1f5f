namespace Llmc.Runtime.Templates;

/// <summary>
/// Variables visible at a point of a render: a for-loop iteration and a macro call open a scope of their own (so a
/// <c>set</c> inside does not leak out, which is why templates use <c>namespace</c>); <c>if</c> blocks do not.
/// </summary>
public sealed class TemplateScope(TemplateScope? parent)
{
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
            if (scope._variables.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _variables[name] = value;

    public TemplateScope? Parent => parent;
}
