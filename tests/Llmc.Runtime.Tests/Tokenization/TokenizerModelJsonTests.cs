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
    public void Json_names_kinds_in_snake_case()
    {
        var json = TestTokenizers.SmolLm2.Model.ToJson();
        Assert.Contains("\"kind\":\"byte_level\"", json);
        Assert.Contains("\"pre_tokenizer\":\"digits_gpt2\"", json);
    }
}
