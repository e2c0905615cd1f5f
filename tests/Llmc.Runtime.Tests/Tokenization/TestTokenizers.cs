using Llmc.Compiler.Frontends.Gguf;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Tests.Tokenization;

/// <summary>The shared tokenizers the tests use, each loaded once (the big vocabularies take a moment).</summary>
public static class TestTokenizers
{
    private static readonly Lazy<Tokenizer> GgufSpmLazy = new(() => new Tokenizer(LoadGguf(LlamaCppVocabCases.SpmVocab)));
    private static readonly Lazy<Tokenizer> GgufGpt2Lazy = new(() => new Tokenizer(LoadGguf(LlamaCppVocabCases.Gpt2Vocab)));
    private static readonly Lazy<Tokenizer> Llama2JsonLazy = new(() => LoadHf("llama2-tokenizer"));
    private static readonly Lazy<Tokenizer> Stories260KLazy = new(() => LoadHf("stories260k-hf"));
    private static readonly Lazy<Tokenizer> SmolLm2Lazy = new(() => LoadHf("smollm2-135m-instruct-tokenizer"));

    public static Tokenizer GgufSpm => GgufSpmLazy.Value;

    public static Tokenizer GgufGpt2 => GgufGpt2Lazy.Value;

    public static Tokenizer Llama2Json => Llama2JsonLazy.Value;

    public static Tokenizer Stories260K => Stories260KLazy.Value;

    public static Tokenizer SmolLm2 => SmolLm2Lazy.Value;

    public static TokenizerModel LoadGguf(string vocab)
    {
        using var file = GgufFile.Open(LlamaCppVocabCases.VocabPath(vocab));
        return GgufTokenizerImport.Load(file);
    }

    private static Tokenizer LoadHf(string folder) => new(HfTokenizerImport.Load(Llmc.Tests.TestPaths.Model(folder)));
}
