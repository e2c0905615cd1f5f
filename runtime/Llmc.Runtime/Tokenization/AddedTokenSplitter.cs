namespace Llmc.Runtime.Tokenization;

/// <summary>
/// Finds added tokens in raw text (leftmost, longest match wins) and cuts the text around them, so that e.g.
/// "&lt;|im_start|&gt;user" becomes the special token followed by ordinary text. The tokens sit in a trie, so a
/// position costs at most the longest token's length whatever their number (Gemma 3 has 6,322 starting with '&lt;').
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly TrieNode _root = new();

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        foreach (var token in tokens.Where(token => token.Content.Length > 0))
        {
            var node = _root;
            foreach (var c in token.Content)
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(c, out var child)) node.Children[c] = child = new TrieNode();
                node = child;
            }
            // The first of two tokens with the same text wins, as the longest-first list kept it.
            node.Token ??= token;
        }
    }

    private sealed class TrieNode
    {
        public Dictionary<char, TrieNode>? Children { get; set; }

        public AddedToken? Token { get; set; }
    }

    public List<TextSegment> Split(string text)
    {
        var segments = new List<TextSegment>();
        var textStart = 0;
        var position = 0;
        while (position < text.Length)
        {
            var token = MatchAt(text, position);
            if (token is null)
            {
                position++;
                continue;
            }

            var textEnd = position;
            if (token.LStrip)
                while (textEnd > textStart && char.IsWhiteSpace(text[textEnd - 1]))
                    textEnd--;
            if (textEnd > textStart)
                segments.Add(new TextSegment(text[textStart..textEnd], null));
            segments.Add(new TextSegment(token.Content, token.Id));

            position += token.Content.Length;
            if (token.RStrip)
                while (position < text.Length && char.IsWhiteSpace(text[position]))
                    position++;
            textStart = position;
        }
        if (textStart < text.Length)
            segments.Add(new TextSegment(text[textStart..], null));
        return segments;
    }

    /// <summary>The longest added token that starts at <paramref name="position"/>, or null.</summary>
    private AddedToken? MatchAt(string text, int position)
    {
        AddedToken? longest = null;
        var node = _root;
        for (var i = position; i < text.Length && node.Children is { } children && children.TryGetValue(text[i], out var next); i++)
        {
            node = next;
            longest = node.Token ?? longest;
        }
        return longest;
    }
}
