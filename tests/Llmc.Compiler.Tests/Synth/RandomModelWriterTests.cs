using System.Text.Json.Nodes;
using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Compiler.Synth;
using Llmc.Compiler.Tests.Frontends;
using Llmc.Ir;
using Llmc.Runtime;
using Llmc.Runtime.Tokenization;
using Llmc.Tests;

namespace Llmc.Compiler.Tests.Synth;

public sealed class RandomModelWriterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Writes_every_llama_tensor_with_initialiser_statistics()
    {
        var folder = Synthesize(TinyConfig(), DType.F32, seed: 1);

        using var model = SafetensorsModel.Open(folder);
        var config = DecoderConfig.Load(folder);
        Assert.Equal(DecoderWeightLayout.For(config).Select(w => w.Name).Order(), model.Tensors.Keys.Order());
        Assert.All(model.Tensors["model.layers.1.post_attention_layernorm.weight"].ToFloat32(), v => Assert.Equal(1f, v));
        var values = model.Tensors["model.layers.0.mlp.gate_proj.weight"].ToFloat32();
        var mean = values.Average(v => (double)v);
        var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(std, 0.0196, 0.0204);
    }

    /// <summary>The layout synth writes is the tensor list of a real checkpoint of each family (the arch goldens).</summary>
    [Theory]
    [MemberData(nameof(ArchGoldens.All), MemberType = typeof(ArchGoldens))]
    public void The_layout_of_each_family_is_the_tensors_of_its_golden_checkpoint(string arch)
    {
        var folder = TestPaths.Model("arch-goldens", arch);
        using var golden = SafetensorsModel.Open(folder);
        Assert.Equal(golden.Tensors.Keys.Order(), DecoderWeightLayout.For(DecoderConfig.Load(folder)).Select(w => w.Name).Order());
    }

    [Fact]
    public void Gemma_norm_weights_are_written_as_zero_so_that_they_scale_by_one()
    {
        var config = TinyConfig();
        config["architectures"] = new JsonArray("Gemma2ForCausalLM");
        config["hidden_activation"] = "gelu_pytorch_tanh";
        var folder = Synthesize(config, DType.F32, seed: 1, name: "gemma");
        using var model = SafetensorsModel.Open(folder);
        Assert.All(model.Tensors["model.layers.0.pre_feedforward_layernorm.weight"].ToFloat32(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Same_seed_same_bytes_other_seed_other_bytes()
    {
        var a = File.ReadAllBytes(Path.Combine(Synthesize(TinyConfig(), DType.BF16, seed: 5, name: "a"), SafetensorsModel.SingleFileName));
        var b = File.ReadAllBytes(Path.Combine(Synthesize(TinyConfig(), DType.BF16, seed: 5, name: "b"), SafetensorsModel.SingleFileName));
        var c = File.ReadAllBytes(Path.Combine(Synthesize(TinyConfig(), DType.BF16, seed: 6, name: "c"), SafetensorsModel.SingleFileName));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Large_models_are_sharded_with_an_index_and_keep_their_values()
    {
        var single = Synthesize(TinyConfig(), DType.F16, seed: 2, name: "single");
        var sharded = Synthesize(TinyConfig(), DType.F16, seed: 2, name: "sharded", maxShardBytes: 40_000);

        Assert.True(File.Exists(Path.Combine(sharded, SafetensorsModel.IndexFileName)));
        using var one = SafetensorsModel.Open(single);
        using var many = SafetensorsModel.Open(sharded);
        Assert.True(many.Files.Count > 2);
        foreach (var (name, tensor) in one.Tensors)
            Assert.Equal(tensor.Bytes.ToArray(), many.Tensors[name].Bytes.ToArray());
    }

    [Fact]
    public void Generated_tokenizer_has_exactly_vocab_size_tokens_and_the_configs_specials()
    {
        var folder = Synthesize(TinyConfig(), DType.BF16, seed: 0);

        var tokenizer = new Tokenizer(HfTokenizerImport.Load(folder));
        Assert.Equal(300, tokenizer.VocabSize);
        Assert.Equal(0, tokenizer.BosId);
        Assert.Equal(1, tokenizer.EosId);
        var ids = tokenizer.Encode("the quick brown fox, 世界!");
        Assert.Equal(0, ids[0]);
        Assert.Equal("the quick brown fox, 世界!", tokenizer.Decode(ids));
    }

    [Fact]
    public void A_given_tokenizer_is_copied_with_its_config()
    {
        var config = TinyConfig();
        config["vocab_size"] = 49152;
        var tokenizer = TestPaths.Model("smollm2-135m-instruct-tokenizer", "tokenizer.json");
        var folder = Synthesize(config, DType.BF16, seed: 0, tokenizer: tokenizer);

        Assert.Equal(File.ReadAllBytes(tokenizer), File.ReadAllBytes(Path.Combine(folder, "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(folder, "tokenizer_config.json")));
    }

    [Fact]
    public void Vocabulary_too_small_for_byte_tokens_is_refused()
    {
        var config = TinyConfig();
        config["vocab_size"] = 200;
        var error = Assert.Throws<ModelFileException>(() => Synthesize(config, DType.BF16, seed: 0));
        Assert.Contains("vocab_size 200", error.Message);
    }

    [Fact]
    public void Invalid_config_is_refused_by_the_llama_parser()
    {
        var config = TinyConfig();
        config.Remove("hidden_size");
        var error = Assert.Throws<ModelFileException>(() => Synthesize(config, DType.BF16, seed: 0));
        Assert.Contains("hidden_size", error.Message);
    }

    [Fact]
    public void A_folder_with_files_in_it_is_not_overwritten()
    {
        Synthesize(TinyConfig(), DType.BF16, seed: 0);
        var error = Assert.Throws<LlmcException>(() => Synthesize(TinyConfig(), DType.BF16, seed: 0));
        Assert.Contains("not empty", error.Message);
    }

    private static JsonObject TinyConfig() => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["hidden_size"] = 64,
        ["intermediate_size"] = 128,
        ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 4,
        ["num_key_value_heads"] = 2,
        ["vocab_size"] = 300,
        ["max_position_embeddings"] = 256,
        ["rms_norm_eps"] = 1e-5,
        ["bos_token_id"] = 0,
        ["eos_token_id"] = 1,
        ["tie_word_embeddings"] = false,
    };

    private string Synthesize(JsonObject config, DType dtype, ulong seed, string name = "model", long? maxShardBytes = null, string? tokenizer = null)
    {
        var configPath = _temp.File(name + "-config.json");
        File.WriteAllText(configPath, config.ToJsonString());
        var output = _temp.File(name);
        RandomModelWriter.Write(new SynthOptions
        {
            ConfigPath = configPath,
            Output = output,
            DType = dtype,
            Seed = seed,
            TokenizerPath = tokenizer,
            MaxShardBytes = maxShardBytes ?? SynthOptions.DefaultMaxShardBytes,
        });
        return output;
    }
}
