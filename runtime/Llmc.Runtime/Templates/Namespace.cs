namespace Llmc.Runtime.Templates;

/// <summary>Jinja's <c>namespace(...)</c>: a mutable bag of attributes that <c>{% set ns.attr = ... %}</c> may change from inside loops and macros.</summary>
public sealed class Namespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
