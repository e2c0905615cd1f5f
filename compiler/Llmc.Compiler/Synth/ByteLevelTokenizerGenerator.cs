using System.Text.Json.Nodes;
using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Runtime;

using Llmc.Runtime.Tokenization;

namespace Llmc.Compiler.Synth;

/// <summary>
/// A GPT-2 style byte-level BPE tokenizer (tokenizer.json + tokenizer_config.json) whose vocabulary has exactly the
/// config's vocab_size entries: special tokens at the ids the config names (BOS, EOS, pad), the 256 byte tokens, then
/// generated pieces (lowercase words built letter by letter), each with the merge that makes it. Any text encodes,
/// since every byte has a token; the pieces only make the vocabulary and merge table realistic in size.
/// </summary>
public static class ByteLevelTokenizerGenerator
{
    public static (JsonObject Tokenizer, JsonObject TokenizerConfig) Generate(DecoderConfig config)
    {
        var specials = SpecialTokens(config);
        var pieceCount = config.VocabSize - specials.Count;
        if (pieceCount < 256)
            throw new ModelFileException(config.Path,
                $"vocab_size {config.VocabSize} is too small for a byte-level tokenizer: it needs 256 byte tokens plus {specials.Count} special tokens");

        var pieces = new List<string>(pieceCount);
        for (var b = 0; b < 256; b++) pieces.Add(ByteLevelAlphabet.CharOf((byte)b).ToString());
        var merges = new JsonArray();
        foreach (var (left, right) in GeneratedMerges(pieceCount - 256))
        {
            pieces.Add(left + right);
            merges.Add(new JsonArray(left, right));
        }

        var vocab = new JsonObject();
        var added = new JsonArray();
        using var piece = pieces.GetEnumerator();
        for (var id = 0; id < config.VocabSize; id++)
        {
            if (specials.TryGetValue(id, out var special))
            {
                vocab[special] = id;
                added.Add(new JsonObject
                {
                    ["id"] = id, ["content"] = special, ["single_word"] = false, ["lstrip"] = false,
                    ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
                });
            }
            else
            {
                piece.MoveNext();
                vocab[piece.Current] = id;
            }
        }

        var bos = config.BosTokenId is { } bosId ? specials[bosId] : null;
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = bos is null ? null : BosTemplate(bos, config.BosTokenId!.Value),
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
        var tokenizerConfig = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["add_bos_token"] = bos is not null,
            ["add_eos_token"] = false,
            ["model_max_length"] = config.MaxPositionEmbeddings,
            ["clean_up_tokenization_spaces"] = false,
        };
        if (bos is not null) tokenizerConfig["bos_token"] = bos;
        if (config.EosTokenIds.Count > 0) tokenizerConfig["eos_token"] = specials[config.EosTokenIds[0]];
        if (PadId(config) is { } pad) tokenizerConfig["pad_token"] = specials[pad];
        return (tokenizer, tokenizerConfig);
    }

    /// <summary>Special token text by id, named after the first role the config gives the id.</summary>
    private static Dictionary<int, string> SpecialTokens(DecoderConfig config)
    {
        var roles = new List<(int? Id, string Name)> { (config.BosTokenId, "<|bos|>") };
        roles.AddRange(config.EosTokenIds.Select((id, i) => ((int?)id, i == 0 ? "<|eos|>" : $"<|eos_{i}|>")));
        roles.Add((PadId(config), "<|pad|>"));
        var specials = new Dictionary<int, string>();
        foreach (var (id, name) in roles)
        {
            if (id is not { } value) continue;
            if ((uint)value >= (uint)config.VocabSize)
                throw new ModelFileException(config.Path, $"special token id {value} ({name}) is outside vocab_size {config.VocabSize}");
            specials.TryAdd(value, name);
        }
        return specials;
    }

    private static int? PadId(DecoderConfig config) =>
        config.Raw["pad_token_id"] is JsonValue v && v.TryGetValue<int>(out var id) ? id : null;

    /// <summary>Words over a space marker and a–z, shortest first; each is its prefix merged with one more letter.</summary>
    private static IEnumerable<(string Left, string Right)> GeneratedMerges(int count)
    {
        var alphabet = new[] { ByteLevelAlphabet.CharOf((byte)' ').ToString() }.Concat(Enumerable.Range('a', 26).Select(c => ((char)c).ToString())).ToArray();
        var frontier = alphabet.ToList();
        var produced = 0;
        while (produced < count)
        {
            var next = new List<string>();
            foreach (var prefix in frontier)
            {
                foreach (var letter in alphabet)
                {
                    if (produced++ == count) yield break;
                    next.Add(prefix + letter);
                    yield return (prefix, letter);
                }
            }
            frontier = next;
        }
    }

    private static JsonObject BosTemplate(string bos, int bosId) => new()
    {
        ["type"] = "TemplateProcessing",
        ["single"] = new JsonArray(SpecialItem(bos), SequenceItem("A")),
        ["pair"] = new JsonArray(SpecialItem(bos), SequenceItem("A"), SpecialItem(bos), SequenceItem("B")),
        ["special_tokens"] = new JsonObject { [bos] = new JsonObject { ["id"] = bos, ["ids"] = new JsonArray(bosId), ["tokens"] = new JsonArray(bos) } },
    };

    private static JsonObject SpecialItem(string id) => new() { ["SpecialToken"] = new JsonObject { ["id"] = id, ["type_id"] = 0 } };

    private static JsonObject SequenceItem(string id) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = 0 } };
}
