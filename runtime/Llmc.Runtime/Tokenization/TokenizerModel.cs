using System.Text.Json;
using Llmc.Runtime.Format;

namespace Llmc.Runtime.Tokenization;

/// <summary>
/// Everything needed to rebuild a tokenizer, independent of the file it came from (tokenizer.json or GGUF), so an
/// engine file can carry it as JSON. Build a <see cref="Tokenizer"/> from it to encode and decode.
/// </summary>
public sealed record TokenizerModel
{
    public required TokenizerKind Kind { get; init; }

    /// <summary>The vocabulary; a token's id is its index.</summary>
    public required string[] Pieces { get; init; }

    /// <summary>One type per piece, parallel to <see cref="Pieces"/>.</summary>
    public required TokenType[] TokenTypes { get; init; }

    /// <summary>
    /// Ranked BPE merges, best first, as (left, right, merged) triples of piece ids (<see cref="MergeTriples"/> makes
    /// them from [left, right] piece pairs): ids, not strings, so an engine's load reads integers instead of allocating
    /// and looking up half a million strings (Llama 3 has 280,147 merges). For <see cref="TokenizerKind.Spm"/> they may
    /// be empty, in which case <see cref="Scores"/> rank merges instead.
    /// </summary>
    public int[] Merges { get; init; } = [];

    /// <summary>SentencePiece piece scores (llama.cpp's SPM merges the adjacent pair whose joined piece scores highest).</summary>
    public float[]? Scores { get; init; }

    public AddedToken[] AddedTokens { get; init; } = [];

    public PreTokenizerKind PreTokenizer { get; init; } = PreTokenizerKind.None;

    /// <summary>
    /// SPM: prepend ▁ to every text segment (HF Prepend normalizer, llama.cpp add_space_prefix).
    /// Byte-level: prepend a space to a segment that does not start with one (HF ByteLevel add_prefix_space).
    /// </summary>
    public bool AddPrefixSpace { get; init; }

    /// <summary>SPM: write spaces as ▁ before BPE (HF Replace " " → "▁" normalizer) and back when decoding.</summary>
    public bool EscapeSpaces { get; init; }

    /// <summary>SPM: characters missing from the vocabulary become their UTF-8 bytes as &lt;0xNN&gt; pieces.</summary>
    public bool ByteFallback { get; init; }

    /// <summary>Consecutive unknown characters become a single unknown token (only without byte fallback).</summary>
    public bool FuseUnknown { get; init; }

    /// <summary>A pre-token that is itself a vocabulary piece is taken whole without merging (Llama 3).</summary>
    public bool IgnoreMerges { get; init; }

    /// <summary>Decoding drops one leading space from the text (the space <see cref="AddPrefixSpace"/> added).</summary>
    public bool StripLeadingSpace { get; init; }

    /// <summary>Text outside added tokens is put in Unicode normalization form C before BPE (HF NFC normalizer: Qwen).</summary>
    public bool NormalizeNfc { get; init; }

    /// <summary>
    /// Decoding removes the space before . , ? ! and English contractions (transformers' clean_up_tokenization_spaces,
    /// from tokenizer_config.json: Llama 3). Only <see cref="Tokenizer.Decode"/>; streamed generation stays raw, as in vLLM and llama.cpp.
    /// </summary>
    public bool CleanUpSpaces { get; init; }

    public int? BosId { get; init; }

    public int? EosId { get; init; }

    public int? UnknownId { get; init; }

    public int? PadId { get; init; }

    public bool AddBos { get; init; }

    public bool AddEos { get; init; }

    /// <summary>The Jinja chat template shipped with the tokenizer, if any.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>
    /// Ranked [left, right] piece pairs as <see cref="Merges"/> triples; a piece (or joined pair) missing from
    /// <paramref name="pieces"/> is refused naming the merge and the file it came from, <paramref name="source"/>. A
    /// piece listed twice has its first id, as the tokenizer's.
    /// </summary>
    public static int[] MergeTriples(IReadOnlyList<string[]> pairs, string[] pieces, string source)
    {
        var ids = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        for (var id = 0; id < pieces.Length; id++) ids.TryAdd(pieces[id], id);
        var triples = new int[3 * pairs.Count];
        for (var rank = 0; rank < pairs.Count; rank++)
        {
            var pair = pairs[rank];
            if (pair.Length != 2) throw new ModelFileException(source, $"merge #{rank} has {pair.Length} parts, expected 2");
            (triples[3 * rank], triples[3 * rank + 1], triples[3 * rank + 2]) = (IdOf(pair[0]), IdOf(pair[1]), IdOf(pair[0] + pair[1]));

            int IdOf(string piece) => ids.TryGetValue(piece, out var id)
                ? id
                : throw new ModelFileException(source, $"merge #{rank} needs piece '{piece}', which is not in the vocabulary");
        }
        return triples;
    }

    public string ToJson() => JsonSerializer.Serialize(this, EngineJson.Options);

    public static TokenizerModel FromJson(string json) =>
        JsonSerializer.Deserialize<TokenizerModel>(json, EngineJson.Options)
        ?? throw new JsonException("tokenizer model JSON is null");
}
