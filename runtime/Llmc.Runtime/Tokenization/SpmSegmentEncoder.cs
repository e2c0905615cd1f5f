using System.Text;

namespace Llmc.Runtime.Tokenization;

/// <summary>
/// SentencePiece-style BPE: spaces become ▁ (and one is prepended), every character starts as its own piece
/// (or as &lt;0xNN&gt; byte pieces when it is not in the vocabulary), then pairs merge by rank or score.
/// </summary>
internal sealed class SpmSegmentEncoder : ISegmentEncoder
{
    private const char SpaceMarker = '\u2581';

    private readonly TokenizerModel _model;
    private readonly MergeTable _merges;
    private readonly Dictionary<int, int> _idOfCodePoint = [];
    private readonly int[] _idOfByte;

    public SpmSegmentEncoder(TokenizerModel model, IReadOnlyDictionary<string, int> pieceIds)
    {
        _model = model;
        _merges = model.Merges.Length > 0 || model.Scores is null
            ? MergeTable.FromRankedMerges(model.Merges, pieceIds)
            : MergeTable.FromScores(model.Pieces, model.Scores, model.TokenTypes, pieceIds);

        for (var id = 0; id < model.Pieces.Length; id++)
        {
            var piece = model.Pieces[id];
            if (model.TokenTypes[id] is TokenType.Normal or TokenType.UserDefined
                && Rune.TryGetRuneAt(piece, 0, out var rune) && rune.Utf16SequenceLength == piece.Length)
                _idOfCodePoint.TryAdd(rune.Value, id);
        }

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

        var symbols = new List<int>(normalized.Length);
        Span<byte> utf8 = stackalloc byte[4];
        var previousWasUnknown = false;
        foreach (var rune in normalized.EnumerateRunes())
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
        output.AddRange(symbols);
    }
}
