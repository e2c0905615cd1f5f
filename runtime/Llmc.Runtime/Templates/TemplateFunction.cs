namespace Llmc.Runtime.Templates;

/// <summary>Something a template can call: a global (<c>range</c>, <c>namespace</c>, <c>raise_exception</c>), a macro, or a method bound to its value.</summary>
public delegate object? TemplateFunction(IReadOnlyList<object?> arguments, IReadOnlyDictionary<string, object?> keywords);
