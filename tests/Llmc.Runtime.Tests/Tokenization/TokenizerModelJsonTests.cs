using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Tests.Tokenization;

public class TokenizerModelJsonTests
{
    public static TheoryData<string> Names => ["gguf-spm", "gguf-gpt2", "smollm2", "stories260k"];

    [Theory]
    [MemberData(nameof(Names))]
    public void Json_round_trip_gives_identical_encodings(string name)
    {
        var original = name switch
        {
            "gguf-spm" => TestTokenizers.GgufSpm,
            "gguf-gpt2" => TestTokenizers.GgufGpt2,
            "smollm2" => TestTokenizers.SmolLm2,
            _ => TestTokenizers.Stories260K,
        };
        var json = original.Model.ToJson();
        var restored = new Tokenizer(TokenizerModel.FromJson(json));

        Assert.Equal(json, restored.Model.ToJson());
        var texts = LlamaCppVocabCases.Inputs(LlamaCppVocabCases.SpmVocab).Append("<|im_start|>user\nHi<s></s>");
        foreach (var text in texts)
            Assert.Equal(original.Encode(text), restored.Encode(text));
    }

    [Fact]
    public void Merges_are_stored_as_triples_of_piece_ids_whose_pieces_join()
    {
        var model = TestTokenizers.SmolLm2.Model;
        Assert.Contains("\"merges\":[" + string.Join(",", model.Merges[..3]), model.ToJson());
        Assert.True(model.Merges.Length > 3 * 40_000, $"{model.Merges.Length / 3} merges");
        for (var rank = 0; rank < model.Merges.Length / 3; rank += 997)
        {
            var (left, right, merged) = (model.Merges[3 * rank], model.Merges[3 * rank + 1], model.Merges[3 * rank + 2]);
            Assert.Equal(model.Pieces[merged], model.Pieces[left] + model.Pieces[right]);
        }
    }

    [Fact]
    public void Merges_naming_a_missing_piece_or_an_id_outside_the_vocabulary_are_refused()
    {
        string[] pieces = ["a", "b", "ab"];
        Assert.Equal([0, 1, 2], TokenizerModel.MergeTriples([["a", "b"]], pieces, "tokenizer.json"));
        Assert.Equal("tokenizer.json: merge #1 needs piece 'ba', which is not in the vocabulary",
            Assert.Throws<ModelFileException>(() => TokenizerModel.MergeTriples([["a", "b"], ["b", "a"]], pieces, "tokenizer.json")).Message);
        Assert.Equal("tokenizer.json: merge #0 has 3 parts, expected 2",
            Assert.Throws<ModelFileException>(() => TokenizerModel.MergeTriples([["a", "b", "c"]], pieces, "tokenizer.json")).Message);
        var model = new TokenizerModel { Kind = TokenizerKind.ByteLevel, Pieces = pieces, TokenTypes = [TokenType.Normal, TokenType.Normal, TokenType.Normal] };
        Assert.Equal("merge #1 (1, 0 -> 3) names a piece outside the vocabulary of 3",
            Assert.Throws<LlmcException>(() => new Tokenizer(model with { Merges = [0, 1, 2, 1, 0, 3] })).Message);
        Assert.Contains("not (left, right, merged) triples", Assert.Throws<LlmcException>(() => new Tokenizer(model with { Merges = [0, 1] })).Message);
    }

    [Fact]
    public void Json_names_kinds_in_snake_case()
    {
        var json = TestTokenizers.SmolLm2.Model.ToJson();
        Assert.Contains("\"kind\":\"byte_level\"", json);
        Assert.Contains("\"pre_tokenizer\":\"digits_gpt2\"", json);
    }
}
