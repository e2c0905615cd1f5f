using Llmc.Runtime;
using Llmc.Runtime.Tokenization;

namespace Llmc.Compiler.Frontends.Gguf;

/// <summary>
/// Builds a <see cref="TokenizerModel"/> from a GGUF file's tokenizer.ggml.* metadata, for the two vocab types
/// llama.cpp calls "llama" (SentencePiece BPE ranked by piece scores) and "gpt2" (byte-level BPE with merges).
/// </summary>
public static class GgufTokenizerImport
{
    public static TokenizerModel Load(GgufFile file)
    {
        var vocabType = file.GetString("tokenizer.ggml.model");
        var pieces = file.GetStringArray("tokenizer.ggml.tokens");
        var types = file.Contains("tokenizer.ggml.token_type")
            ? ReadTokenTypes(file, pieces.Length)
            : Enumerable.Repeat(TokenType.Normal, pieces.Length).ToArray();

        var model = vocabType switch
        {
            "llama" => LoadSentencePiece(file, pieces, types),
            "gpt2" => LoadByteLevel(file, pieces, types),
            _ => throw new ModelFileException(file.Path, $"tokenizer.ggml.model '{vocabType}' is not supported (only llama and gpt2)"),
        };

        model = model with
        {
            BosId = OptionalId(file, "tokenizer.ggml.bos_token_id", pieces.Length),
            EosId = OptionalId(file, "tokenizer.ggml.eos_token_id", pieces.Length),
            UnknownId = OptionalId(file, "tokenizer.ggml.unknown_token_id", pieces.Length),
            PadId = OptionalId(file, "tokenizer.ggml.padding_token_id", pieces.Length),
            AddBos = file.GetBool("tokenizer.ggml.add_bos_token", model.AddBos),
            AddEos = file.GetBool("tokenizer.ggml.add_eos_token", false),
            ChatTemplate = file.GetString("tokenizer.chat_template", null),
            // llama.cpp matches control, user-defined and unknown tokens literally in the input.
            AddedTokens = [.. Enumerable.Range(0, pieces.Length)
                .Where(id => types[id] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown && pieces[id].Length > 0)
                .Select(id => new AddedToken(id, pieces[id]))],
        };

        try
        {
            // Building the tokenizer once checks merges, byte pieces and ids now, while the file's name is at hand.
            _ = new Tokenizer(model);
        }
        catch (ArgumentException ex)
        {
            throw new ModelFileException(file.Path, $"tokenizer metadata is inconsistent: {ex.Message}", ex);
        }
        return model;
    }

    private static TokenizerModel LoadSentencePiece(GgufFile file, string[] pieces, TokenType[] types)
    {
        var scores = file.Contains("tokenizer.ggml.scores") ? file.GetFloat32Array("tokenizer.ggml.scores") : new float[pieces.Length];
        if (scores.Length != pieces.Length)
            throw new ModelFileException(file.Path, $"{scores.Length} tokenizer.ggml.scores for {pieces.Length} tokens");
        var addSpacePrefix = file.GetBool("tokenizer.ggml.add_space_prefix", true);
        return new TokenizerModel
        {
            Kind = TokenizerKind.Spm,
            Pieces = pieces,
            TokenTypes = types,
            Scores = scores,
            AddPrefixSpace = addSpacePrefix,
            EscapeSpaces = true,
            // llama.cpp spells unknown characters with <0xNN> pieces when the vocabulary has them, else uses unk.
            ByteFallback = types.Contains(TokenType.Byte),
            StripLeadingSpace = addSpacePrefix,
            AddBos = true,
        };
    }

    private static TokenizerModel LoadByteLevel(GgufFile file, string[] pieces, TokenType[] types)
    {
        var merges = file.GetStringArray("tokenizer.ggml.merges");
        var pairs = new string[merges.Length][];
        for (var i = 0; i < merges.Length; i++)
        {
            pairs[i] = merges[i].Split(' ');
            if (pairs[i].Length != 2)
                throw new ModelFileException(file.Path, $"tokenizer.ggml.merges[{i}] '{merges[i]}' is not two pieces separated by a space");
        }

        var preName = file.GetString("tokenizer.ggml.pre", "default");
        var preTokenizer = preName switch
        {
            "gpt-2" or "gpt2" or "phi-2" or "roberta-bpe" => PreTokenizerKind.Gpt2,
            "llama3" or "llama-v3" or "llama-bpe" => PreTokenizerKind.Llama3,
            "qwen2" or "deepseek-r1-qwen" => PreTokenizerKind.Qwen2,
            "smollm" or "starcoder" or "refact" or "codeshell" or "command-r" => PreTokenizerKind.IndividualDigitsThenGpt2,
            _ => throw new ModelFileException(file.Path, $"tokenizer.ggml.pre '{preName}' is not supported"),
        };
        return new TokenizerModel
        {
            Kind = TokenizerKind.ByteLevel,
            Pieces = pieces,
            TokenTypes = types,
            Merges = TokenizerModel.MergeTriples(pairs, pieces, file.Path),
            PreTokenizer = preTokenizer,
            // llama.cpp takes a whole pre-token that is already a piece only for Llama 3's vocabulary.
            IgnoreMerges = preTokenizer == PreTokenizerKind.Llama3,
        };
    }

    private static TokenType[] ReadTokenTypes(GgufFile file, int count)
    {
        var codes = file.GetInt32Array("tokenizer.ggml.token_type");
        if (codes.Length != count)
            throw new ModelFileException(file.Path, $"{codes.Length} tokenizer.ggml.token_type entries for {count} tokens");
        var types = new TokenType[count];
        for (var id = 0; id < count; id++)
        {
            types[id] = Enum.IsDefined((TokenType)codes[id])
                ? (TokenType)codes[id]
                : throw new ModelFileException(file.Path, $"token {id} has unknown token type {codes[id]}");
        }
        return types;
    }

    private static int? OptionalId(GgufFile file, string key, int vocabSize)
    {
        if (!file.Contains(key))
            return null;
        var id = file.GetInt64(key);
        return id >= 0 && id < vocabSize ? (int)id : throw new ModelFileException(file.Path, $"{key} = {id} is outside the vocabulary of {vocabSize}");
    }
}
