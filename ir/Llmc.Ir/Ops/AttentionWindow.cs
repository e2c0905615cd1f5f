namespace Llmc.Ir.Ops;

/// <summary>
/// Sliding-window attention (Mistral, Gemma's local layers, Qwen2 above <c>max_window_layers</c>): the optional
/// <c>window</c> attribute of <c>attention</c> and <c>attention_rope</c> is how many positions a query sees, itself
/// included, so the query at position p attends to p − window &lt; t ≤ p (Hugging Face's rule). Without it a query
/// sees its whole sequence. Per node, so window and global layers can alternate in one model.
/// </summary>
public static class AttentionWindow
{
    public const string Attribute = "window";

    /// <summary>The node's window, or null for attention over the whole sequence.</summary>
    public static int? Of(Attributes attrs) => attrs.ContainsKey(Attribute) ? attrs.GetInt(Attribute) : null;

    /// <summary>The first position a query at <paramref name="position"/> attends to.</summary>
    public static int FirstPosition(int position, int? window) => window is { } w ? Math.Max(0, position - w + 1) : 0;
}
