namespace Llmc.Runtime.Templates;

/// <summary>
/// Jinja's undefined value (the default, lenient kind): prints as nothing, is false, iterates as empty, equals only
/// another undefined; reading an attribute of it, calling it or doing arithmetic with it is an error naming what was
/// undefined.
/// </summary>
public sealed class Undefined(string name)
{
    /// <summary>What was looked up and not found, for the error message: <c>'x' is undefined</c> or <c>dict object has no attribute 'y'</c>.</summary>
    public string Description { get; } = name;

    public TemplateException Error() => new(Description);

    public override string ToString() => "";
}
