using System.Text.Json;
using System.Text.Json.Nodes;
using Llmc.Compiler.Build;
using Llmc.Compiler.Frontends;
using Llmc.Compiler.Models;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Runtime;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests;

/// <summary>stories260K built with <c>--kv-cache int8</c>, once for the class.</summary>
public sealed class Int8CacheEngine : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"llmc-kv8-{Guid.NewGuid():N}.llmc");

    public Int8CacheEngine() =>
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = CpuIsa.Avx2Target, Output = Path, KvCache = "int8" });

    public void Dispose() => File.Delete(Path);
}

/// <summary>The int8 KV cache end to end: what it stores per token, how close it stays to f32, and its bad input.</summary>
[Collection(StoriesCollection.Name)]
public sealed class KvCacheInt8Tests(StoriesEngines engines, Int8CacheEngine int8) : IClassFixture<Int8CacheEngine>
{
    private static readonly int[] Tokens = [1, 403, 407, 261, 378, 432, 383, 286, 261];

    private static readonly JsonObject Config = JsonNode.Parse(File.ReadAllText(Path.Combine(StoriesEngines.Source, "config.json")))!.AsObject();

    private static string EvalText => Path.Combine(TestPaths.Shared, "data", "tinystories-eval.txt");

    private static int C(string name) => Config[name]!.GetValue<int>();

    [Fact]
    public void Kv_bytes_per_token_are_one_byte_per_value_plus_a_scale_per_head()
    {
        var layers = C("num_hidden_layers");
        var kvHeads = C("num_key_value_heads");
        var headDim = C("head_dim");
        var (int8Report, f32Report) = (Inspect(int8.Path), Inspect(engines.For(CpuIsa.Avx2Target)));
        Assert.Equal(2L * layers * kvHeads * (headDim + sizeof(float)), int8Report.GetProperty("kv_bytes_per_token").GetInt64());
        Assert.Equal(2L * layers * kvHeads * headDim * sizeof(float), f32Report.GetProperty("kv_bytes_per_token").GetInt64());
        Assert.Equal("int8", int8Report.GetProperty("kv_cache").GetString());
        Assert.Equal("f32", f32Report.GetProperty("kv_cache").GetString());
    }

    [Fact]
    public void Logits_match_the_reference_interpreter_over_the_same_int8_cache()
    {
        using var engine = Engine.Load(int8.Path);
        Assert.Equal("int8", engine.Manifest.Build.Options["kv_cache"]);
        var actual = engine.Logits(Tokens);
        using var model = HfModelFolder.Open(StoriesEngines.Source);
        var (graph, weights) = ModelImport.Import(model, engine.Context, DType.KV8);
        var inputs = KvBlockTable.AddOneBlock(new Dictionary<string, HostTensor>
        {
            ["tokens"] = new([Tokens.Length], Tokens),
            ["positions"] = new([Tokens.Length], Enumerable.Range(0, Tokens.Length).ToArray()),
            ["logit_rows"] = new([Tokens.Length], Enumerable.Range(0, Tokens.Length).ToArray()),
        }, Tokens.Length);
        var expected = ReferenceInterpreter.Run(graph, inputs, weights.ReadHost, new Dictionary<string, HostTensor>(), KvBlockTable.OneBlockPool(engine.Context))["logits"].Floats;
        Assert.Equal(expected.Length, actual.Length);
        double err = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]));
            err += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        // The engine rotates keys in f32 (RoPE inside attention), the reference's rope in float64: a key an ulp apart
        // may round to the neighbouring int8 code, so the bound is the kv8 conformance one, not the f32 one.
        Assert.True(Math.Sqrt(err / norm) < 2e-4, $"relative L2 error {Math.Sqrt(err / norm):E2}");
    }

    [Fact]
    public void Perplexity_stays_within_half_a_percent_of_the_f32_cache()
    {
        var f32 = Perplexity(engines.For(CpuIsa.Avx2Target));
        var quantized = Perplexity(int8.Path);
        Assert.NotEqual(f32, quantized); // the int8 cache really is in use
        Assert.InRange(quantized / f32, 0.995, 1.005);
    }

    [Fact]
    public void An_unknown_cache_storage_is_refused_in_one_line()
    {
        var output = Path.Combine(Path.GetTempPath(), $"llmc-kv-bad-{Guid.NewGuid():N}.llmc");
        var result = LlmcCli.Run("build", StoriesEngines.Source, "--target", CpuIsa.Avx2Target, "-o", output, "--kv-cache", "int4");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: unknown --kv-cache 'int4' (choose one of f32, int8)", Assert.Single(result.StderrLines));
        Assert.False(File.Exists(output));
    }

    private static double Perplexity(string engine)
    {
        var result = LlmcCli.Run("eval", "ppl", engine, "--file", EvalText, "--ctx", "128", "--json");
        Assert.Equal(0, result.ExitCode);
        return JsonDocument.Parse(result.Stdout).RootElement.GetProperty("perplexity").GetDouble();
    }

    private static JsonElement Inspect(string engine)
    {
        var result = LlmcCli.Run("inspect", engine, "--json");
        Assert.Equal(0, result.ExitCode);
        return JsonDocument.Parse(result.Stdout).RootElement;
    }
}
