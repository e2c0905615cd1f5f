using System.Text;

namespace Llmc.Runtime.Tokenization;

/// <summary>Encodes text to token ids and decodes them back, as described by a <see cref="TokenizerModel"/>. Thread-safe.</summary>
public sealed class Tokenizer
{
    private readonly AddedTokenSplitter _splitter;
    private readonly ISegmentEncoder _encoder;
    private readonly byte[][] _pieceBytes;

    /// <exception cref="ArgumentException">The model is inconsistent (a merge names a missing piece, missing byte pieces, ...).</exception>
    public Tokenizer(TokenizerModel model)
    {
        if (model.TokenTypes.Length != model.Pieces.Length)
            throw new ArgumentException($"{model.TokenTypes.Length} token types for {model.Pieces.Length} pieces");
        if (model.Scores is { } scores && scores.Length != model.Pieces.Length)
            throw new ArgumentException($"{scores.Length} scores for {model.Pieces.Length} pieces");
        foreach (var id in new[] { model.BosId, model.EosId, model.UnknownId, model.PadId })
            if (id is { } value && (uint)value >= (uint)model.Pieces.Length)
                throw new ArgumentException($"special token id {value} is outside the vocabulary of {model.Pieces.Length}");
        foreach (var token in model.AddedTokens)
            if ((uint)token.Id >= (uint)model.Pieces.Length)
                throw new ArgumentException($"added token '{token.Content}' has id {token.Id}, outside the vocabulary");

        Model = model;
        var pieceIds = new Dictionary<string, int>(model.Pieces.Length, StringComparer.Ordinal);
        for (var id = 0; id < model.Pieces.Length; id++)
            pieceIds.TryAdd(model.Pieces[id], id);

        _splitter = new AddedTokenSplitter(model.AddedTokens);
        _encoder = model.Kind == TokenizerKind.Spm
            ? new SpmSegmentEncoder(model, pieceIds)
            : new ByteLevelSegmentEncoder(model, pieceIds);
        _pieceBytes = PieceBytes.Build(model);
    }

    public TokenizerModel Model { get; }

    public int VocabSize => Model.Pieces.Length;

    public int? BosId => Model.BosId;

    public int? EosId => Model.EosId;

    public bool AddBos => Model.AddBos;

    /// <summary>Control and unknown tokens: never produced from ordinary text, skipped by default when decoding.</summary>
    public bool IsSpecial(int id) => Model.TokenTypes[id] is TokenType.Control or TokenType.Unknown;

    public string PieceOf(int id) => Model.Pieces[id];

    /// <param name="addBos">Whether to start with BOS; null follows the model's add_bos setting.</param>
    public int[] Encode(string text, bool? addBos = null)
    {
        var ids = new List<int>(text.Length / 3 + 2);
        if ((addBos ?? Model.AddBos) && Model.BosId is { } bos)
            ids.Add(bos);
        foreach (var segment in _splitter.Split(text))
        {
            if (segment.AddedTokenId is { } addedId)
                ids.Add(addedId);
            else
                _encoder.Encode(Model.NormalizeNfc ? UnicodeNfc.Normalize(segment.Text) : segment.Text, ids);
        }
        if (Model.AddEos && Model.EosId is { } eos)
            ids.Add(eos);
        return [.. ids];
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecial = true)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
            if (!(skipSpecial && IsSpecial(id)))
                bytes.AddRange(BytesOf(id));
        var text = Encoding.UTF8.GetString(bytes.ToArray());
        if (Model.StripLeadingSpace && text.StartsWith(' ')) text = text[1..];
        return Model.CleanUpSpaces ? CleanUpSpaces(text) : text;
    }

    /// <summary>transformers' clean_up_tokenization: the space before punctuation and English contractions goes.</summary>
    private static string CleanUpSpaces(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal).Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal).Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal).Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal).Replace(" 're", "'re", StringComparison.Ordinal);

    /// <summary>A decoder for tokens arriving one at a time (generation), whose pieces concatenate to <see cref="Decode"/>.</summary>
    /// <param name="continuesText">Whether the stream continues text already there (a prompt), so its first space is kept.</param>
    public TokenStreamDecoder CreateStreamDecoder(bool skipSpecial = true, bool continuesText = false) => new(this, skipSpecial, continuesText);

    /// <summary>The bytes token <paramref name="id"/> contributes to decoded text (a byte token's one byte, say).</summary>
    public ReadOnlySpan<byte> BytesOf(int id) => _pieceBytes[id];
}
