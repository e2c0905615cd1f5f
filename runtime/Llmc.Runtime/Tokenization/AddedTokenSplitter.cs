namespace Llmc.Runtime.Tokenization;

/// <summary>
/// Finds added tokens in raw text (leftmost, longest match wins) and cuts the text around them, so that e.g.
/// "&lt;|im_start|&gt;user" becomes the special token followed by ordinary text.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _candidatesByFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _candidatesByFirstChar = tokens
            .Where(token => token.Content.Length > 0)
            .GroupBy(token => token.Content[0])
            .ToDictionary(group => group.Key, group => group.OrderByDescending(token => token.Content.Length).ToArray());
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

    private AddedToken? MatchAt(string text, int position)
    {
        if (!_candidatesByFirstChar.TryGetValue(text[position], out var candidates))
            return null;
        foreach (var candidate in candidates)
            if (text.AsSpan(position).StartsWith(candidate.Content, StringComparison.Ordinal))
                return candidate;
        return null;
    }
}
