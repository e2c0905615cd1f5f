using System.Text.Json;
using System.Text.Json.Nodes;
using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Tools;

/// <summary><c>llmc synth</c> writes folders that <c>llmc build</c> and <c>llmc run</c> accept.</summary>
public sealed class SynthTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("llmc-synth-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Synthesised_model_builds_and_runs()
    {
        var folder = Synth("model", seed: 1);
        var engine = Path.Combine(_temp, "model.llmc");
        Assert.Equal(0, LlmcCli.Run("build", folder, "--target", "cpu-avx2", "-o", engine).ExitCode);

        var result = LlmcCli.Run("run", engine, "--prompt", "hello world", "--max-tokens", "8", "--temperature", "0", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(8, doc.RootElement.GetProperty("tokens").GetArrayLength());
    }

    [Fact]
    public void Seed_decides_the_weights()
    {
        var a = Weights(Synth("a", seed: 7));
        var b = Weights(Synth("b", seed: 7));
        var c = Weights(Synth("c", seed: 8));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Weights_have_the_initialiser_std()
    {
        using var model = SafetensorsModel.Open(Synth("std", seed: 3, dtype: "f32"));
        var values = model.Tensors["model.embed_tokens.weight"].ToFloat32();
        var std = Math.Sqrt(values.Average(v => (double)v * v));
        Assert.InRange(std, 0.0196, 0.0204);
    }

    [Fact]
    public void Smollm2_config_with_its_tokenizer_is_accepted()
    {
        var source = TestPaths.Model("smollm2-135m-instruct-tokenizer");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        config["num_hidden_layers"] = 1; // the full 30 layers only make the test slow; the shapes are what is checked
        var configPath = Path.Combine(_temp, "smollm2.json");
        File.WriteAllText(configPath, config.ToJsonString());
        var folder = Path.Combine(_temp, "smollm2");
        var result = LlmcCli.Run("synth", "--config", configPath, "--tokenizer", Path.Combine(source, "tokenizer.json"), "-o", folder);
        Assert.Equal(0, result.ExitCode);

        using var model = SafetensorsModel.Open(folder);
        Assert.Equal([49152L, 576], model.Tensors["model.embed_tokens.weight"].Shape);
        Assert.Equal([192L, 576], model.Tensors["model.layers.0.self_attn.k_proj.weight"].Shape);
        Assert.False(model.Tensors.ContainsKey("lm_head.weight"));
    }

    [Fact]
    public void Bad_config_is_one_line_naming_the_field()
    {
        var configPath = Path.Combine(_temp, "bad.json");
        File.WriteAllText(configPath, """{"architectures":["LlamaForCausalLM"],"hidden_size":64}""");
        var result = LlmcCli.Run("synth", "--config", configPath, "-o", Path.Combine(_temp, "bad"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("field 'num_attention_heads' is missing", Assert.Single(result.StderrLines));
    }

    private string Synth(string name, int seed, string dtype = "bf16")
    {
        var configPath = Path.Combine(_temp, name + ".json");
        File.WriteAllText(configPath, """
            {"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
             "num_attention_heads":4,"num_key_value_heads":2,"vocab_size":300,"max_position_embeddings":256,
             "rms_norm_eps":1e-5,"bos_token_id":0,"eos_token_id":1,"tie_word_embeddings":true}
            """);
        var folder = Path.Combine(_temp, name);
        var result = LlmcCli.Run("synth", "--config", configPath, "--dtype", dtype, "--seed", seed.ToString(), "-o", folder);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return folder;
    }

    private static byte[] Weights(string folder) => File.ReadAllBytes(Path.Combine(folder, SafetensorsModel.SingleFileName));
}
