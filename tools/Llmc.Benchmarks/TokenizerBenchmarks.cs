using System.Text;
using BenchmarkDotNet.Attributes;
using Llmc.Compiler.Frontends.Gguf;
using Llmc.Runtime.Tokenization;

namespace Llmc.Benchmarks;

/// <summary>Encoding ~100 KB of mixed text with each tokenizer flavour (the llama.cpp vocab test strings, repeated).</summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private Tokenizer _tokenizer = null!;
    private string _text = "";

    [Params("ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf")]
    public string Vocab { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var path = SharedModels.Path("llamacpp-vocab-tests", Vocab);
        using (var gguf = GgufFile.Open(path)) _tokenizer = new Tokenizer(GgufTokenizerImport.Load(gguf));
        var inputs = File.ReadAllText(path + ".inp").Split("\n__ggml_vocab_test__\n");
        var text = new StringBuilder();
        for (var i = 0; text.Length < 100_000; i++) text.Append(inputs[i % inputs.Length]).Append(' ').Append(i).Append('\n');
        _text = text.ToString();
    }

    [Benchmark]
    public int Encode100KB() => _tokenizer.Encode(_text, addBos: false).Length;
}
