namespace Llmc.Runtime.Tests.Tokenization;

/// <summary>
/// llama.cpp's tokenizer test vectors: <c>.inp</c> holds strings, each followed by "\n__ggml_vocab_test__\n";
/// <c>.out</c> has the expected ids (without BOS) for each, one line per string.
/// </summary>
public static class LlamaCppVocabCases
{
    public const string SpmVocab = "ggml-vocab-llama-spm.gguf";
    public const string Gpt2Vocab = "ggml-vocab-gpt-2.gguf";

    private const string Separator = "\n__ggml_vocab_test__\n";

    public static string VocabPath(string vocab) => Llmc.Tests.TestPaths.Model("llamacpp-vocab-tests", vocab);

    public static string[] Inputs(string vocab)
    {
        var parts = File.ReadAllText(VocabPath(vocab) + ".inp").Split(Separator);
        // Every string is followed by the separator, so the text after the last one is empty.
        Assert.Equal("", parts[^1]);
        return parts[..^1];
    }

    public static int[][] ExpectedIds(string vocab) =>
        [.. File.ReadAllLines(VocabPath(vocab) + ".out")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())];

    /// <summary>Theory rows (index, text): the text makes a failing case name itself, the index finds its ids.</summary>
    public static TheoryData<int, string> Rows(string vocab)
    {
        var rows = new TheoryData<int, string>();
        var inputs = Inputs(vocab);
        for (var i = 0; i < inputs.Length; i++)
            rows.Add(i, inputs[i]);
        return rows;
    }
}
