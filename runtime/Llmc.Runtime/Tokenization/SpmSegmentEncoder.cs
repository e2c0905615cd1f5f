using System.Text;

namespace Llmc.Runtime.Tokenization;

/// <summary>
/// SentencePiece-style BPE: spaces become ▁ (and one is prepended), every character starts as its own piece
/// (or as &lt;0xNN&gt; byte pieces when it is not in the vocabulary), then pairs merge by rank or score.
/// The text is merged in words, cut before each ▁ that follows another character: a merge across such a cut would
/// make a piece with a character then ▁ inside it, and the few pieces that have one (Gemma 3's "&gt;▁&lt;/") keep the
/// cuts where they occur in the text, so the ids are those of merging the whole text at once, in O(word) memory per
/// merge instead of one priority queue over the whole segment. Words recur, so their ids are cached (at most
/// <see cref="CachedWords"/> words of up to <see cref="CachedWordLength"/> characters, as HF's BPE caches words).
/// </summary>
internal sealed class SpmSegmentEncoder : ISegmentEncoder
{
    private const char SpaceMarker = '\u2581';
    private const int CachedWords = 10_000;
    private const int CachedWordLength = 64;

    private readonly TokenizerModel _model;
    private readonly MergeTable _merges;
    private readonly Dictionary<int, int> _idOfCodePoint = [];
    private readonly int[] _idOfByte;
    private readonly string[] _crossingPieces;
    private readonly bool _markerKnown;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> _wordCache = new(StringComparer.Ordinal);

    public SpmSegmentEncoder(TokenizerModel model, IReadOnlyDictionary<string, int> pieceIds)
    {
        _model = model;
        _merges = model.Merges.Length > 0 || model.Scores is null
            ? MergeTable.FromRankedMerges(model.Merges, model.Pieces.Length)
            : MergeTable.FromScores(model.Pieces, model.Scores, model.TokenTypes, pieceIds);

        for (var id = 0; id < model.Pieces.Length; id++)
        {
            var piece = model.Pieces[id];
            if (model.TokenTypes[id] is TokenType.Normal or TokenType.UserDefined
                && Rune.TryGetRuneAt(piece, 0, out var rune) && rune.Utf16SequenceLength == piece.Length)
                _idOfCodePoint.TryAdd(rune.Value, id);
        }

        _crossingPieces = [.. model.Pieces.Where(HasInnerCut)];
        // Where ▁ itself is not a piece it may fuse with unknown characters around it, so the text stays whole.
        _markerKnown = _idOfCodePoint.ContainsKey(SpaceMarker);

        _idOfByte = new int[256];
        for (var b = 0; b < 256; b++)
            _idOfByte[b] = pieceIds.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
        if (model.ByteFallback && Array.IndexOf(_idOfByte, -1) >= 0)
            throw new ArgumentException("byte fallback needs all 256 <0xNN> pieces in the vocabulary");
    }

    public void Encode(string text, List<int> output)
    {
        if (text.Length == 0)
            return;
        var normalized = _model.EscapeSpaces ? text.Replace(' ', SpaceMarker) : text;
        if (_model.AddPrefixSpace)
            normalized = SpaceMarker + normalized;

        var kept = KeptCuts(normalized);
        var symbols = new List<int>();
        var start = 0;
        for (var i = 1; i <= normalized.Length; i++)
        {
            if (i < normalized.Length && !(_markerKnown && IsCut(normalized, i) && (kept is null || !kept.Contains(i)))) continue;
            EncodeWord(normalized.AsSpan(start, i - start), symbols, output);
            start = i;
        }
    }

    /// <summary>Position i (a ▁ after another character) is where a word ends.</summary>
    private static bool IsCut(ReadOnlySpan<char> text, int i) => text[i] == SpaceMarker && text[i - 1] != SpaceMarker;

    private static bool HasInnerCut(string piece)
    {
        for (var i = 1; i < piece.Length; i++)
            if (IsCut(piece, i)) return true;
        return false;
    }

    /// <summary>The cuts inside occurrences of pieces that span one: merging may cross those, so they stay whole.</summary>
    private HashSet<int>? KeptCuts(string text)
    {
        HashSet<int>? kept = null;
        foreach (var piece in _crossingPieces)
            for (var at = text.IndexOf(piece, StringComparison.Ordinal); at >= 0; at = text.IndexOf(piece, at + 1, StringComparison.Ordinal))
                for (var i = 1; i < piece.Length; i++)
                    if (IsCut(piece, i)) (kept ??= []).Add(at + i);
        return kept;
    }

    /// <summary>Merges one word (or takes its ids from the cache); <paramref name="symbols"/> is scratch reused across words.</summary>
    private void EncodeWord(ReadOnlySpan<char> word, List<int> symbols, List<int> output)
    {
        var cacheable = word.Length <= CachedWordLength;
        var lookup = _wordCache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (cacheable && lookup.TryGetValue(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        MergeWord(word, symbols);
        output.AddRange(symbols);
        if (cacheable && _wordCache.Count < CachedWords) _wordCache.TryAdd(word.ToString(), [.. symbols]);
    }

    private void MergeWord(ReadOnlySpan<char> word, List<int> symbols)
    {
        symbols.Clear();
        Span<byte> utf8 = stackalloc byte[4];
        var previousWasUnknown = false;
        foreach (var rune in word.EnumerateRunes())
        {
            if (_idOfCodePoint.TryGetValue(rune.Value, out var id))
            {
                symbols.Add(id);
                previousWasUnknown = false;
            }
            else if (_model.ByteFallback)
            {
                var length = rune.EncodeToUtf8(utf8);
                for (var i = 0; i < length; i++)
                    symbols.Add(_idOfByte[utf8[i]]);
                previousWasUnknown = false;
            }
            else
            {
                var unknown = _model.UnknownId
                    ?? throw new ArgumentException($"character U+{rune.Value:X4} is not in the vocabulary and there is no unknown token");
                if (!(_model.FuseUnknown && previousWasUnknown))
                    symbols.Add(unknown);
                previousWasUnknown = true;
            }
        }

        BpeMerger.Merge(symbols, _merges);
    }
}
