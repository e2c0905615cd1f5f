using System.Diagnostics;
using System.Text;
using Llmc.Runtime.Tokenization;
using Xunit.Abstractions;

namespace Llmc.Runtime.Tests.Tokenization;

/// <summary>Guards against quadratic BPE: ~100 KB must encode in well under a second (the bound leaves CI slack).</summary>
public class EncodingSpeedTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names => ["gguf-spm", "gguf-gpt2", "smollm2"];

    [Theory]
    [MemberData(nameof(Names))]
    public void Hundred_kilobytes_encode_quickly(string name)
    {
        var tokenizer = name switch
        {
            "gguf-spm" => TestTokenizers.GgufSpm,
            "gguf-gpt2" => TestTokenizers.GgufGpt2,
            _ => TestTokenizers.SmolLm2,
        };
        var text = HundredKilobytes();
        tokenizer.Encode("warm up the regex and caches");

        var watch = Stopwatch.StartNew();
        var ids = tokenizer.Encode(text);
        watch.Stop();

        output.WriteLine($"{name}: {text.Length} chars -> {ids.Length} tokens in {watch.Elapsed.TotalMilliseconds:F1} ms");
        Assert.True(ids.Length > 10_000);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"encoding 100 KB took {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    private static string HundredKilobytes()
    {
        var inputs = LlamaCppVocabCases.Inputs(LlamaCppVocabCases.SpmVocab);
        var text = new StringBuilder();
        for (var i = 0; text.Length < 100_000; i++)
            text.Append(inputs[i % inputs.Length]).Append(' ').Append(i).Append('\n');
        return text.ToString();
    }
}
