using System.Text;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Tests.Tokenization;

/// <summary>Long inputs (many words, merges across a large text) encode and decode back exactly. Speed is measured by the tokenizer benchmark under tools/.</summary>
public class LongTextTests
{
    public static TheoryData<string> Names => ["gguf-spm", "gguf-gpt2", "smollm2"];

    [Theory]
    [MemberData(nameof(Names))]
    public void Hundred_kilobytes_round_trip(string name)
    {
        var tokenizer = name switch
        {
            "gguf-spm" => TestTokenizers.GgufSpm,
            "gguf-gpt2" => TestTokenizers.GgufGpt2,
            _ => TestTokenizers.SmolLm2,
        };
        var text = HundredKilobytes();
        var ids = tokenizer.Encode(text, addBos: false);
        Assert.True(ids.Length > 10_000);
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    public static string HundredKilobytes()
    {
        var inputs = LlamaCppVocabCases.Inputs(LlamaCppVocabCases.SpmVocab);
        var text = new StringBuilder();
        for (var i = 0; text.Length < 100_000; i++)
            text.Append(inputs[i % inputs.Length]).Append(' ').Append(i).Append('\n');
        return text.ToString();
    }
}
