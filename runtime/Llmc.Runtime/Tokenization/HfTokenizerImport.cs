using System.Text.Json;

namespace Llmc.Runtime.Tokenization;

/// <summary>
/// Reads a Hugging Face tokenizer folder (tokenizer.json + optional tokenizer_config.json) into a
/// <see cref="TokenizerModel"/>. Supports BPE in the two shapes LLMs use: SentencePiece-style (▁ normalizer,
/// byte fallback) and GPT-2 byte-level; anything else is refused by name rather than tokenized wrongly.
/// </summary>
public static class HfTokenizerImport
{
    private const string SpaceMarker = "\u2581";

    public static TokenizerModel Load(string folder)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        using var document = ParseJson(path);
        var root = document.RootElement;
        var config = ReadConfig(folder);

        try
        {
            var model = BuildModel(path, root, config) with { ChatTemplate = ReadChatTemplate(folder) };
            // Building the tokenizer once checks merges, byte pieces and ids now, while the file's name is at hand.
            _ = new Tokenizer(model);
            return model;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new ModelFileException(path, ex.Message, ex);
        }
    }

    /// <summary>The Jinja chat template from chat_template.jinja or tokenizer_config.json, or null when there is none.</summary>
    public static string? ReadChatTemplate(string folder)
    {
        var jinjaPath = Path.Combine(folder, "chat_template.jinja");
        if (File.Exists(jinjaPath))
            return File.ReadAllText(jinjaPath);

        var configPath = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(configPath))
            return null;
        using var config = ParseJson(configPath);
        if (!config.RootElement.TryGetProperty("chat_template", out var template))
            return null;
        return template.ValueKind switch
        {
            JsonValueKind.String => template.GetString(),
            JsonValueKind.Null => null,
            // Several named templates: the "default" one is what chat formatting uses.
            JsonValueKind.Array => template.EnumerateArray()
                .Where(entry => entry.TryGetProperty("name", out var name) && name.GetString() == "default")
                .Select(entry => entry.GetProperty("template").GetString())
                .FirstOrDefault(),
            _ => throw new ModelFileException(configPath, $"chat_template is a JSON {template.ValueKind}, expected a string or a list"),
        };
    }

    private static TokenizerModel BuildModel(string path, JsonElement root, JsonElement? config)
    {
        var bpe = Property(root, "model") ?? throw new ModelFileException(path, "has no \"model\" section");
        var modelType = StringProperty(bpe, "type") ?? "BPE";
        if (modelType != "BPE")
            throw new ModelFileException(path, $"tokenizer model type '{modelType}' is not supported (only BPE)");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (StringProperty(bpe, affix) is { Length: > 0 } value)
                throw new ModelFileException(path, $"BPE {affix} '{value}' is not supported");

        var (prependMarker, escapeSpaces, nfc) = ReadNormalizer(path, Property(root, "normalizer"));
        var (preTokenizer, addPrefixSpace) = ReadPreTokenizer(path, Property(root, "pre_tokenizer"), escapeSpaces);
        var byteLevel = preTokenizer != PreTokenizerKind.None;
        if (byteLevel && (prependMarker || escapeSpaces))
            throw new ModelFileException(path, "a ▁ normalizer together with a ByteLevel pre-tokenizer is not supported");
        if (!byteLevel && !escapeSpaces)
            throw new ModelFileException(path,
                "BPE without a ByteLevel pre-tokenizer needs the SentencePiece ▁ normalizer (Replace \" \" → \"▁\"); this file has neither");

        var addedTokens = ReadAddedTokens(root);
        var pieces = ReadPieces(path, bpe, addedTokens);
        var pieceIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < pieces.Length; id++)
            pieceIds.TryAdd(pieces[id], id);

        var byteFallback = BoolProperty(bpe, "byte_fallback") ?? false;
        int? unknownId = StringProperty(bpe, "unk_token") is { } unkPiece ? IdOf(path, pieceIds, unkPiece, "unk_token") : null;
        var types = ReadTokenTypes(pieces, addedTokens, unknownId, byteFallback && !byteLevel);

        var template = ReadTemplateProcessing(Property(root, "post_processor"));
        var bosId = ConfigTokenId(path, config, "bos_token", pieceIds) ?? template.FirstSpecialId;
        var eosId = ConfigTokenId(path, config, "eos_token", pieceIds);
        var addBos = ConfigBool(config, "add_bos_token") ?? template.FirstSpecialId is not null;
        var addEos = ConfigBool(config, "add_eos_token") ?? template.LastSpecialId is not null;
        if (addEos && eosId is null)
            eosId = template.LastSpecialId;
        if (addBos && bosId is null)
            throw new ModelFileException(path, "BOS is to be added but no BOS token is defined");
        if (addEos && eosId is null)
            throw new ModelFileException(path, "EOS is to be added but no EOS token is defined");

        return new TokenizerModel
        {
            Kind = byteLevel ? TokenizerKind.ByteLevel : TokenizerKind.Spm,
            Pieces = pieces,
            TokenTypes = types,
            Merges = TokenizerModel.MergeTriples(ReadMerges(path, bpe), pieces, path),
            AddedTokens = [.. addedTokens.Select(token => token.Token)],
            PreTokenizer = preTokenizer,
            AddPrefixSpace = byteLevel ? addPrefixSpace : prependMarker,
            EscapeSpaces = escapeSpaces,
            ByteFallback = byteFallback,
            FuseUnknown = BoolProperty(bpe, "fuse_unk") ?? false,
            IgnoreMerges = BoolProperty(bpe, "ignore_merges") ?? false,
            StripLeadingSpace = !byteLevel && DecoderStripsLeadingSpace(Property(root, "decoder")),
            NormalizeNfc = nfc,
            CleanUpSpaces = ConfigBool(config, "clean_up_tokenization_spaces") ?? false,
            BosId = bosId,
            EosId = eosId,
            UnknownId = unknownId,
            PadId = ConfigTokenId(path, config, "pad_token", pieceIds),
            AddBos = addBos,
            AddEos = addEos,
        };
    }

    private readonly record struct ImportedAddedToken(AddedToken Token, bool Special);

    private static List<ImportedAddedToken> ReadAddedTokens(JsonElement root)
    {
        var tokens = new List<ImportedAddedToken>();
        if (Property(root, "added_tokens") is not { ValueKind: JsonValueKind.Array } array)
            return tokens;
        foreach (var entry in array.EnumerateArray())
        {
            var token = new AddedToken(
                entry.GetProperty("id").GetInt32(),
                entry.GetProperty("content").GetString() ?? "",
                BoolProperty(entry, "lstrip") ?? false,
                BoolProperty(entry, "rstrip") ?? false);
            tokens.Add(new ImportedAddedToken(token, BoolProperty(entry, "special") ?? false));
        }
        return tokens;
    }

    private static string[] ReadPieces(string path, JsonElement bpe, List<ImportedAddedToken> addedTokens)
    {
        var vocab = Property(bpe, "vocab") is { ValueKind: JsonValueKind.Object } v
            ? v : throw new ModelFileException(path, "model.vocab is missing or not an object");
        var byId = new Dictionary<int, string>();
        foreach (var entry in vocab.EnumerateObject())
            byId[entry.Value.GetInt32()] = entry.Name;
        foreach (var added in addedTokens)
            byId[added.Token.Id] = added.Token.Content;

        var size = byId.Count == 0 ? 0 : byId.Keys.Max() + 1;
        var pieces = new string[size];
        for (var id = 0; id < size; id++)
            pieces[id] = byId.TryGetValue(id, out var piece) ? piece : throw new ModelFileException(path, $"vocabulary has no piece for id {id}");
        return pieces;
    }

    private static TokenType[] ReadTokenTypes(string[] pieces, List<ImportedAddedToken> addedTokens, int? unknownId, bool bytePieces)
    {
        var types = new TokenType[pieces.Length];
        for (var id = 0; id < pieces.Length; id++)
            types[id] = bytePieces && PieceBytes.TryParseBytePiece(pieces[id], out _) ? TokenType.Byte : TokenType.Normal;
        foreach (var added in addedTokens)
            types[added.Token.Id] = added.Special ? TokenType.Control : TokenType.UserDefined;
        if (unknownId is { } unk)
            types[unk] = TokenType.Unknown;
        return types;
    }

    /// <summary>Merges come as "left right" strings (older files) or [left, right] arrays (newer ones).</summary>
    private static string[][] ReadMerges(string path, JsonElement bpe)
    {
        if (Property(bpe, "merges") is not { ValueKind: JsonValueKind.Array } array)
            return [];
        var merges = new string[array.GetArrayLength()][];
        var index = 0;
        foreach (var entry in array.EnumerateArray())
        {
            string[] pair = entry.ValueKind switch
            {
                JsonValueKind.String => entry.GetString()!.Split(' '),
                JsonValueKind.Array => [.. entry.EnumerateArray().Select(part => part.GetString() ?? "")],
                _ => [],
            };
            if (pair.Length != 2)
                throw new ModelFileException(path, $"merge #{index} is not a pair of pieces: {entry.GetRawText()}");
            merges[index++] = pair;
        }
        return merges;
    }

    /// <summary>Accepts the SentencePiece pair Prepend("▁") and Replace(" " → "▁"), and NFC, or no normalizer.</summary>
    private static (bool PrependMarker, bool EscapeSpaces, bool Nfc) ReadNormalizer(string path, JsonElement? normalizer)
    {
        var (prepend, escape, nfc) = (false, false, false);
        foreach (var step in Flatten(normalizer, "normalizers"))
        {
            var type = StringProperty(step, "type");
            if (type == "Prepend" && StringProperty(step, "prepend") == SpaceMarker)
                prepend = true;
            else if (type == "Replace" && StringPattern(step) == " " && StringProperty(step, "content") == SpaceMarker)
                escape = true;
            else if (type == "NFC")
                nfc = true;
            else
                throw new ModelFileException(path, $"normalizer '{type}' ({step.GetRawText()}) is not supported");
        }
        return (prepend, escape, nfc);
    }

    /// <param name="spacesEscaped">Whether the normalizer already wrote every space as ▁, so a split at spaces finds none.</param>
    private static (PreTokenizerKind Kind, bool AddPrefixSpace) ReadPreTokenizer(string path, JsonElement? preTokenizer, bool spacesEscaped)
    {
        var steps = Flatten(preTokenizer, "pretokenizers").ToList();
        if (steps.Count == 0)
            return (PreTokenizerKind.None, false);
        // Gemma 3 splits at " " after its normalizer turned every space into ▁: the split never fires, BPE sees the whole text.
        if (steps.Count == 1 && spacesEscaped && StringProperty(steps[0], "type") == "Split" && StringPattern(steps[0]) == " "
            && StringProperty(steps[0], "behavior") == "MergedWithPrevious" && BoolProperty(steps[0], "invert") != true)
            return (PreTokenizerKind.None, false);

        var last = steps[^1];
        var byteLevelRegex = BoolProperty(last, "use_regex") ?? true;
        if (StringProperty(last, "type") != "ByteLevel")
            throw Unsupported(path, steps);
        var addPrefixSpace = BoolProperty(last, "add_prefix_space") ?? false;

        PreTokenizerKind? kind = steps.Count switch
        {
            1 when byteLevelRegex => PreTokenizerKind.Gpt2,
            2 when byteLevelRegex && StringProperty(steps[0], "type") == "Digits" && BoolProperty(steps[0], "individual_digits") == true
                => PreTokenizerKind.IndividualDigitsThenGpt2,
            2 when !byteLevelRegex && StringProperty(steps[0], "type") == "Split"
                && StringProperty(steps[0], "behavior") == "Isolated" && RegexPattern(steps[0]) is { } pattern
                => PreTokenizer.KindOfSplitPattern(pattern),
            _ => null,
        };
        return kind is { } known ? (known, addPrefixSpace) : throw Unsupported(path, steps);
    }

    private static ModelFileException Unsupported(string path, List<JsonElement> steps) =>
        new(path, $"pre-tokenizer {string.Join(" + ", steps.Select(step => StringProperty(step, "type")))} is not supported "
            + "(known: ByteLevel, Digits(individual) + ByteLevel, and the GPT-2 / Llama 3 / Qwen2 Split regexes + ByteLevel)");

    private static bool DecoderStripsLeadingSpace(JsonElement? decoder) =>
        Flatten(decoder, "decoders").Any(step => StringProperty(step, "type") == "Strip"
            && StringProperty(step, "content") == " " && step.TryGetProperty("start", out var start) && start.GetInt32() > 0);

    private readonly record struct TemplateSpecials(int? FirstSpecialId, int? LastSpecialId);

    /// <summary>The special tokens a TemplateProcessing post-processor puts before and after a single sequence.</summary>
    private static TemplateSpecials ReadTemplateProcessing(JsonElement? postProcessor)
    {
        var template = Flatten(postProcessor, "processors").FirstOrDefault(step => StringProperty(step, "type") == "TemplateProcessing");
        if (template.ValueKind != JsonValueKind.Object || Property(template, "single") is not { ValueKind: JsonValueKind.Array } single
            || single.GetArrayLength() == 0)
            return default;

        int? SpecialIdOf(JsonElement item)
        {
            if (Property(item, "SpecialToken") is not { } special || StringProperty(special, "id") is not { } name)
                return null;
            return Property(template, "special_tokens") is { } table && Property(table, name) is { } entry
                && Property(entry, "ids") is { ValueKind: JsonValueKind.Array } ids && ids.GetArrayLength() == 1
                ? ids[0].GetInt32()
                : null;
        }

        var items = single.EnumerateArray().ToList();
        return new TemplateSpecials(SpecialIdOf(items[0]), items.Count > 1 ? SpecialIdOf(items[^1]) : null);
    }

    private static JsonElement? ReadConfig(string folder)
    {
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(configPath))
            return null;
        using var config = ParseJson(configPath);
        return config.RootElement.Clone();
    }

    /// <summary>A token named in tokenizer_config.json, written either as a string or as {"content": ...}.</summary>
    private static int? ConfigTokenId(string path, JsonElement? config, string key, Dictionary<string, int> pieceIds)
    {
        if (config is not { } c || Property(c, key) is not { } value)
            return null;
        var content = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => StringProperty(value, "content"),
            _ => null,
        };
        return content is null ? null : IdOf(path, pieceIds, content, key);
    }

    private static bool? ConfigBool(JsonElement? config, string key) => config is { } c ? BoolProperty(c, key) : null;

    private static int IdOf(string path, Dictionary<string, int> pieceIds, string piece, string role) =>
        pieceIds.TryGetValue(piece, out var id) ? id : throw new ModelFileException(path, $"{role} '{piece}' is not in the vocabulary");

    /// <summary>A component that may be a Sequence of components, as its list of steps (none for null).</summary>
    private static IEnumerable<JsonElement> Flatten(JsonElement? component, string sequenceKey)
    {
        if (component is not { ValueKind: JsonValueKind.Object } single)
            return [];
        if (StringProperty(single, "type") == "Sequence" && Property(single, sequenceKey) is { ValueKind: JsonValueKind.Array } steps)
            return steps.EnumerateArray().SelectMany(step => Flatten(step, sequenceKey));
        return [single];
    }

    /// <summary>A Replace or Split step's literal pattern ({"String": ...}); null for a regex.</summary>
    private static string? StringPattern(JsonElement step) =>
        Property(step, "pattern") is { } pattern ? StringProperty(pattern, "String") : null;

    private static string? RegexPattern(JsonElement step) =>
        Property(step, "pattern") is { } pattern ? StringProperty(pattern, "Regex") : null;

    private static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    private static string? StringProperty(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static bool? BoolProperty(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.True or JsonValueKind.False } value ? value.GetBoolean() : null;

    private static JsonDocument ParseJson(string path)
    {
        if (!File.Exists(path))
            throw new ModelFileException(path, "file not found");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new ModelFileException(path, $"invalid JSON: {ex.Message}", ex);
        }
    }
}
