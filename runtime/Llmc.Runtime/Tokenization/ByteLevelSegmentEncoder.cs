using System.Collections.Concurrent;
using System.Text;

namespace Llmc.Runtime.Tokenization;

/// <summary>
/// GPT-2 style BPE: the regex pre-tokenizer cuts text into words, each word's UTF-8 bytes start as single-byte
/// pieces and merge by rank. Words repeat a lot in real text, so their encodings are cached.
/// </summary>
internal sealed class ByteLevelSegmentEncoder : ISegmentEncoder
{
    // Bounds the cache for long-running processes; real text reuses a few thousand words at most.
    private const int MaxCachedWords = 1 << 16;

    private readonly TokenizerModel _model;
    private readonly IReadOnlyDictionary<string, int> _pieceIds;
    private readonly PreTokenizer _preTokenizer;
    private readonly MergeTable _merges;
    private readonly int[] _idOfByte = new int[256];
    private readonly ConcurrentDictionary<string, int[]> _wordCache = new(StringComparer.Ordinal);

    public ByteLevelSegmentEncoder(TokenizerModel model, IReadOnlyDictionary<string, int> pieceIds)
    {
        _model = model;
        _pieceIds = pieceIds;
        _preTokenizer = new PreTokenizer(model.PreTokenizer);
        _merges = MergeTable.FromRankedMerges(model.Merges, model.Pieces.Length);
        // Some vocabularies lack pieces for control bytes: like HF, those bytes become the unknown token or vanish.
        for (var b = 0; b < 256; b++)
            _idOfByte[b] = pieceIds.TryGetValue(ByteLevelAlphabet.CharOf((byte)b).ToString(), out var id) ? id : model.UnknownId ?? -1;
    }

    public void Encode(string text, List<int> output)
    {
        if (text.Length == 0)
            return;
        if (_model.AddPrefixSpace && text[0] != ' ')
            text = " " + text;
        foreach (var word in _preTokenizer.Split(text))
            output.AddRange(EncodeWord(word));
    }

    private int[] EncodeWord(string word)
    {
        if (_wordCache.TryGetValue(word, out var cached))
            return cached;

        var bytes = Encoding.UTF8.GetBytes(word);
        int[] ids;
        if (_model.IgnoreMerges && _pieceIds.TryGetValue(ToAlphabet(bytes), out var whole))
        {
            ids = [whole];
        }
        else
        {
            var symbols = new List<int>(bytes.Length);
            foreach (var b in bytes)
                if (_idOfByte[b] >= 0)
                    symbols.Add(_idOfByte[b]);
            BpeMerger.Merge(symbols, _merges);
            ids = [.. symbols];
        }

        if (_wordCache.Count >= MaxCachedWords)
            _wordCache.Clear();
        _wordCache[word] = ids;
        return ids;
    }

    private static string ToAlphabet(byte[] bytes) =>
        string.Create(bytes.Length, bytes, static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++)
                chars[i] = ByteLevelAlphabet.CharOf(source[i]);
        });
}
