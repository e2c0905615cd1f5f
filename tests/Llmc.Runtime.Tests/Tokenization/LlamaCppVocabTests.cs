namespace Llmc.Runtime.Tests.Tokenization;

/// <summary>Every tokenization in llama.cpp's vocab test files, reproduced exactly (inputs are fed without BOS).</summary>
public class LlamaCppVocabTests
{
    public static TheoryData<int, string> SpmRows => LlamaCppVocabCases.Rows(LlamaCppVocabCases.SpmVocab);

    public static TheoryData<int, string> Gpt2Rows => LlamaCppVocabCases.Rows(LlamaCppVocabCases.Gpt2Vocab);

    [Fact]
    public void Test_files_have_one_expected_line_per_input()
    {
        Assert.Equal(LlamaCppVocabCases.Inputs(LlamaCppVocabCases.SpmVocab).Length, LlamaCppVocabCases.ExpectedIds(LlamaCppVocabCases.SpmVocab).Length);
        Assert.Equal(LlamaCppVocabCases.Inputs(LlamaCppVocabCases.Gpt2Vocab).Length, LlamaCppVocabCases.ExpectedIds(LlamaCppVocabCases.Gpt2Vocab).Length);
    }

    [Theory]
    [MemberData(nameof(SpmRows))]
    public void Gguf_spm_vocab_matches_llama_cpp(int index, string text) =>
        Assert.Equal(LlamaCppVocabCases.ExpectedIds(LlamaCppVocabCases.SpmVocab)[index], TestTokenizers.GgufSpm.Encode(text, addBos: false));

    [Theory]
    [MemberData(nameof(SpmRows))]
    public void Llama2_tokenizer_json_matches_llama_cpp_spm(int index, string text) =>
        Assert.Equal(LlamaCppVocabCases.ExpectedIds(LlamaCppVocabCases.SpmVocab)[index], TestTokenizers.Llama2Json.Encode(text, addBos: false));

    [Theory]
    [MemberData(nameof(Gpt2Rows))]
    public void Gguf_gpt2_vocab_matches_llama_cpp(int index, string text) =>
        Assert.Equal(LlamaCppVocabCases.ExpectedIds(LlamaCppVocabCases.Gpt2Vocab)[index], TestTokenizers.GgufGpt2.Encode(text, addBos: false));
}
