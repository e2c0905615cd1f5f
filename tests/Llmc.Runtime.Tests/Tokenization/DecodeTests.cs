using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Tests.Tokenization;

public class DecodeTests
{
    public static TheoryData<string, int> Cases()
    {
        var rows = new TheoryData<string, int>();
        foreach (var name in TokenizerNames)
            for (var i = 0; i < LlamaCppVocabCases.Inputs(LlamaCppVocabCases.SpmVocab).Length; i++)
                rows.Add(name, i);
        return rows;
    }

    private static readonly string[] TokenizerNames = ["gguf-spm", "llama2-json", "gguf-gpt2", "smollm2"];

    private static Tokenizer ByName(string name) => name switch
    {
        "gguf-spm" => TestTokenizers.GgufSpm,
        "llama2-json" => TestTokenizers.Llama2Json,
        "gguf-gpt2" => TestTokenizers.GgufGpt2,
        _ => TestTokenizers.SmolLm2,
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_of_encode_gives_back_the_text(string tokenizer, int index)
    {
        var text = LlamaCppVocabCases.Inputs(LlamaCppVocabCases.SpmVocab)[index];
        var tok = ByName(tokenizer);
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stream_decoding_concatenates_to_the_full_decode(string tokenizer, int index)
    {
        var tok = ByName(tokenizer);
        var ids = tok.Encode(LlamaCppVocabCases.Inputs(LlamaCppVocabCases.SpmVocab)[index]);
        var stream = tok.CreateStreamDecoder();
        var streamed = string.Concat(ids.Select(stream.Append)) + stream.Flush();
        Assert.Equal(tok.Decode(ids), streamed);
    }

    [Fact]
    public void Stream_decoder_holds_back_a_character_split_over_byte_tokens()
    {
        var tok = TestTokenizers.GgufSpm;
        // 🦙 is not in the Llama 2 vocabulary: it becomes the four byte tokens F0 9F A6 99.
        var ids = tok.Encode("🦙", addBos: false);
        Assert.Equal([29871, 243, 162, 169, 156], ids);

        var stream = tok.CreateStreamDecoder();
        Assert.Equal("", stream.Append(ids[0])); // the leading ▁ is the prefix space, stripped at stream start
        Assert.Equal("", stream.Append(ids[1]));
        Assert.Equal("", stream.Append(ids[2]));
        Assert.Equal("", stream.Append(ids[3]));
        Assert.Equal("🦙", stream.Append(ids[4]));
        Assert.Equal(" world", stream.Append(tok.Encode(" world", addBos: false)[^1]));
        Assert.Equal("", stream.Flush());
    }

    [Fact]
    public void Stream_decoder_flushes_an_incomplete_character_as_a_replacement()
    {
        var stream = TestTokenizers.GgufSpm.CreateStreamDecoder();
        Assert.Equal("", stream.Append(243));
        Assert.Equal("\uFFFD", stream.Flush());
    }

    [Fact]
    public void Special_tokens_are_skipped_unless_asked_for()
    {
        var tok = TestTokenizers.GgufSpm;
        var ids = tok.Encode("Hello");
        Assert.Equal([1, 15043], ids);
        Assert.True(tok.IsSpecial(1));
        Assert.Equal("Hello", tok.Decode(ids));
        Assert.Equal("<s> Hello", tok.Decode(ids, skipSpecial: false));
    }

    [Fact]
    public void Spm_special_tokens_in_text_are_recognised_and_restart_the_prefix_space()
    {
        var tok = TestTokenizers.GgufSpm;
        Assert.Equal([1, 15043, 2, 15043], tok.Encode("<s>Hello</s>Hello", addBos: false));
    }
}
