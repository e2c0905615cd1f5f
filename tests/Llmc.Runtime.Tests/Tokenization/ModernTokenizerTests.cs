using System.Text.Json;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Tests.Tokenization;

/// <summary>
/// The Qwen3, Gemma 3 and Llama 3 tokenizers (../shared/models/*-tokenizer) against the encodings an independent
/// implementation made of 27 strings each (expected-encodings.json): ids with and without special tokens, and the decode.
/// </summary>
public sealed class ModernTokenizerTests
{
    public static readonly string[] Folders = ["qwen3-tokenizer", "gemma3-tokenizer", "llama3-tokenizer"];

    private static readonly Dictionary<string, Lazy<Tokenizer>> Tokenizers = Folders.ToDictionary(f => f,
        f => new Lazy<Tokenizer>(() => new Tokenizer(HfTokenizerImport.Load(Llmc.Tests.TestPaths.Model(f)))));

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var folder in Folders)
            for (var i = 0; i < Expected(folder).Count; i++) data.Add(folder, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encodes_and_decodes_as_the_reference(string folder, int index)
    {
        var (text, ids, idsNoSpecial, decoded) = Expected(folder)[index];
        var tokenizer = Tokenizers[folder].Value;
        Assert.Equal(ids, tokenizer.Encode(text));
        Assert.Equal(idsNoSpecial, tokenizer.Encode(text, addBos: false));
        Assert.Equal(decoded, tokenizer.Decode(ids, skipSpecial: false));
    }

    [Fact]
    public void A_piece_that_spans_a_word_cut_is_still_formed()
    {
        // Gemma 3's ">▁</" is the one piece with a character then ▁ inside: the encoder merges words separately
        // except where such a piece occurs. Merging "> </" whole goes "<"+"/", "▁"+"</", then ">"+"▁</" (merge
        // 257238): one piece, which a cut before the ▁ would make impossible.
        var tokenizer = Tokenizers["gemma3-tokenizer"].Value;
        var spanning = Array.IndexOf(tokenizer.Model.Pieces, ">\u2581</");
        Assert.True(spanning >= 0);
        Assert.Equal([spanning], tokenizer.Encode("> </", addBos: false));
    }

    private static List<(string Text, int[] Ids, int[] IdsNoSpecial, string Decoded)> Expected(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Llmc.Tests.TestPaths.Model(folder, "expected-encodings.json")));
        return [.. doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => (
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
            c.GetProperty("ids_no_special").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
            c.GetProperty("decoded").GetString()!))];
    }
}
