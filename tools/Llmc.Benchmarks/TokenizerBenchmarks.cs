using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Llmc.Compiler.Frontends.Gguf;
using Llmc.Runtime.Tokenization;

namespace Llmc.Benchmarks;

/// <summary>
/// Encoding ~100 KB of mixed text with each tokenizer flavour: the llama.cpp vocab test strings with the GGUF vocabs,
/// and the expected-encodings strings (many scripts, emoji, combining accents) with the Qwen3, Gemma 3 and Llama 3
/// tokenizer.json files; each repeated to 100 KB.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private Tokenizer _tokenizer = null!;
    private string _text = "";

    [Params("ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "qwen3-tokenizer", "gemma3-tokenizer", "llama3-tokenizer")]
    public string Vocab { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        string[] inputs;
        if (Vocab.EndsWith(".gguf", StringComparison.Ordinal))
        {
            var path = SharedModels.Path("llamacpp-vocab-tests", Vocab);
            using (var gguf = GgufFile.Open(path)) _tokenizer = new Tokenizer(GgufTokenizerImport.Load(gguf));
            inputs = File.ReadAllText(path + ".inp").Split("\n__ggml_vocab_test__\n");
        }
        else
        {
            var folder = SharedModels.Path(Vocab);
            _tokenizer = new Tokenizer(HfTokenizerImport.Load(folder));
            using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected-encodings.json")));
            inputs = [.. expected.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("text").GetString()!)];
        }
        var text = new StringBuilder();
        for (var i = 0; text.Length < 100_000; i++) text.Append(inputs[i % inputs.Length]).Append(' ').Append(i).Append('\n');
        _text = text.ToString();
    }

    [Benchmark]
    public int Encode100KB() => _tokenizer.Encode(_text, addBos: false).Length;
}
