namespace Llmc.Runtime.Templates;

/// <summary>
/// MarkupSafe's <c>Markup</c>, what Jinja's <c>safe</c> filter returns: text marked as already escaped. It prints as
/// itself, but <c>+</c> with a plain string HTML-escapes that string first (a quirk some templates depend on, e.g.
/// functionary v3.1's tool JSON).
/// </summary>
public sealed record PyMarkup(string Text)
{
    public override string ToString() => Text;

    /// <summary>MarkupSafe's escape: &amp; &lt; &gt; " ' as HTML entities.</summary>
    public static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
}
