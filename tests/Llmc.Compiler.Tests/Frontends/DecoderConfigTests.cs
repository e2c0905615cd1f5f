using System.Text.Json.Nodes;
using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Runtime;
using Llmc.Tests;

namespace Llmc.Compiler.Tests.Frontends;

public sealed class DecoderConfigTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Stories260k()
    {
        var config = DecoderConfig.Load(TestPaths.Model("stories260k-hf"));
        Assert.Equal("LlamaForCausalLM", config.Architecture);
        Assert.Equal(64, config.HiddenSize);
        Assert.Equal(172, config.IntermediateSize);
        Assert.Equal(5, config.NumHiddenLayers);
        Assert.Equal(8, config.NumAttentionHeads);
        Assert.Equal(4, config.NumKeyValueHeads);
        Assert.Equal(8, config.HeadDim);
        Assert.Equal(512, config.VocabSize);
        Assert.Equal(512, config.MaxPositionEmbeddings);
        Assert.Equal(1e-5, config.RmsNormEps);
        Assert.Equal(10000.0, config.RopeTheta);
        Assert.Null(config.RopeScaling);
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal(1, config.BosTokenId);
        Assert.Equal([2], config.EosTokenIds);
        Assert.Equal("float32", config.TorchDType);
        Assert.Equal("llama", (string?)config.Raw["model_type"]);
    }

    [Fact]
    public void SmolLm2()
    {
        var config = DecoderConfig.Load(TestPaths.Model("smollm2-135m-instruct-tokenizer"));
        Assert.Equal(576, config.HiddenSize);
        Assert.Equal(1536, config.IntermediateSize);
        Assert.Equal(30, config.NumHiddenLayers);
        Assert.Equal(9, config.NumAttentionHeads);
        Assert.Equal(3, config.NumKeyValueHeads);
        Assert.Equal(64, config.HeadDim);
        Assert.Equal(49152, config.VocabSize);
        Assert.Equal(8192, config.MaxPositionEmbeddings);
        Assert.Equal(100000.0, config.RopeTheta);
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal([2], config.EosTokenIds);
        Assert.Equal("bfloat16", config.TorchDType);
    }

    [Fact]
    public void DefaultsFollowTransformers()
    {
        var json = MinimalConfig();
        var config = Load(json);
        Assert.Equal(4, config.NumKeyValueHeads);
        Assert.Equal(16, config.HeadDim);
        Assert.Equal(10000.0, config.RopeTheta);
        Assert.False(config.TieWordEmbeddings);
        Assert.Null(config.BosTokenId);
        Assert.Empty(config.EosTokenIds);
    }

    [Fact]
    public void Mistral_applies_its_sliding_window_to_every_layer_and_takes_several_eos_ids()
    {
        var json = MinimalConfig();
        json["architectures"] = new JsonArray("MistralForCausalLM");
        json["sliding_window"] = 128;
        json["eos_token_id"] = new JsonArray(2, 32000);
        json["head_dim"] = null;
        var config = Load(json);
        Assert.Equal("MistralForCausalLM", config.Architecture);
        Assert.Equal([2, 32000], config.EosTokenIds);
        Assert.Equal(16, config.HeadDim);
        Assert.Equal(Enumerable.Repeat<int?>(128, config.NumHiddenLayers), config.LayerWindows);
        json["sliding_window"] = null;
        Assert.All(Load(json).LayerWindows, Assert.Null);
    }

    [Fact]
    public void A_sliding_window_on_a_family_without_one_is_refused_by_name()
    {
        var json = MinimalConfig();
        json["sliding_window"] = 128;
        Assert.Equal("field 'sliding_window' is 128, but LlamaForCausalLM has no sliding-window attention", Refusal(json));
    }

    [Fact]
    public void Qwen2_attends_through_its_window_only_with_use_sliding_window_and_from_max_window_layers_on()
    {
        var json = MinimalConfig();
        json["architectures"] = new JsonArray("Qwen2ForCausalLM");
        json["num_hidden_layers"] = 4;
        json["sliding_window"] = 32;
        json["max_window_layers"] = 2;
        Assert.Equal([null, null, null, null], Load(json).LayerWindows);
        json["use_sliding_window"] = true;
        Assert.Equal([null, null, 32, 32], Load(json).LayerWindows);
        json["layer_types"] = new JsonArray("sliding_attention", "full_attention", "sliding_attention", "full_attention");
        Assert.Equal([32, null, 32, null], Load(json).LayerWindows);
        json["layer_types"] = new JsonArray("sliding_attention");
        Assert.Equal("field 'layer_types' must list 4 of \"sliding_attention\" and \"full_attention\"", Refusal(json));
        json.Remove("layer_types");
        json["sliding_window"] = null;
        Assert.Equal("field 'sliding_window' is missing, but layers attend through a sliding window", Refusal(json));
    }

    [Fact]
    public void A_window_key_the_family_does_not_read_is_refused_by_name()
    {
        var json = MinimalConfig();
        json["use_sliding_window"] = false;
        Assert.Equal("field 'use_sliding_window' is set, but LlamaForCausalLM does not read it", Refusal(json));
    }

    [Fact]
    public void UnknownArchitecture()
    {
        var json = MinimalConfig();
        json["architectures"] = new JsonArray("Qwen3MoeForCausalLM");
        Assert.Equal("unsupported architecture 'Qwen3MoeForCausalLM' (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM)", Refusal(json));
    }

    [Fact]
    public void MissingConfigJson()
    {
        var error = Assert.Throws<ModelFileException>(() => DecoderConfig.Load(_temp.Path));
        Assert.Equal(Path.Combine(_temp.Path, "config.json"), error.Path);
        Assert.Equal("not found: a HuggingFace model folder needs config.json", error.Problem);
    }

    [Fact]
    public void MissingAndInvalidFieldsAreNamed()
    {
        var json = MinimalConfig();
        json.Remove("hidden_size");
        Assert.Equal("field 'hidden_size' is missing", Refusal(json));

        json = MinimalConfig();
        json["vocab_size"] = "many";
        Assert.Equal("field 'vocab_size' must be an integer, got \"many\"", Refusal(json));

        json = MinimalConfig();
        json["num_key_value_heads"] = 3;
        Assert.Equal("field 'num_key_value_heads' (3) must divide num_attention_heads (4)", Refusal(json));
    }

    [Fact]
    public void BiasesAreRefused()
    {
        var json = MinimalConfig();
        json["attention_bias"] = true;
        Assert.Equal("field 'attention_bias' is true, but llmc's LlamaForCausalLM has no such bias terms", Refusal(json));
    }

    [Fact]
    public void UnsupportedRopeScalingIsRefusedByName()
    {
        var json = MinimalConfig();
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 };
        Assert.Equal("field 'rope_scaling' has unsupported type 'yarn' (supported: linear, llama3, longrope)", Refusal(json));
    }

    [Fact]
    public void LongRope_reads_its_factors_and_derives_the_attention_factor_as_transformers_does()
    {
        var json = MinimalConfig();
        json["architectures"] = new JsonArray("Phi3ForCausalLM");
        json["original_max_position_embeddings"] = 64;
        json["rope_scaling"] = new JsonObject
        {
            ["type"] = "longrope",
            ["short_factor"] = new JsonArray(1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5),
            ["long_factor"] = new JsonArray(2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0),
        };
        var config = Load(json);
        var scaling = Assert.IsType<LongRopeScaling>(config.RopeScaling);
        // max_position_embeddings 256 over the original 64: factor 4.
        Assert.Equal(Math.Sqrt(1 + Math.Log(4) / Math.Log(64)), scaling.AttentionFactor, 12);
        Assert.Equal(1f / (9f * MathF.Pow(10000f, 14 / 16f)), config.RopeInverseFrequencies(context: 256)[7]);
        Assert.Equal(1f / (4.5f * MathF.Pow(10000f, 14 / 16f)), config.RopeInverseFrequencies(context: 64)[7]);
        json["rope_scaling"]!["long_factor"] = new JsonArray(2.0);
        Assert.Equal("field 'rope_scaling.long_factor' must list head_dim / 2 = 8 positive numbers", Refusal(json));
        json["partial_rotary_factor"] = 0.5;
        Assert.Equal("field 'partial_rotary_factor' is 0.5; llmc rotates whole heads", Refusal(json));
    }

    [Fact]
    public void Llama3ScalingNeedsItsBand()
    {
        var json = MinimalConfig();
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "llama3", ["factor"] = 8.0, ["low_freq_factor"] = 1.0 };
        Assert.Equal("field 'rope_scaling.high_freq_factor' is missing", Refusal(json));
    }

    [Fact]
    public void UnscaledFrequencies()
    {
        var inverse = DecoderConfig.Load(TestPaths.Model("stories260k-hf")).RopeInverseFrequencies(context: 512);
        Assert.Equal(4, inverse.Length);
        Assert.Equal(1f, inverse[0]);
        Assert.Equal(0.1f, inverse[1], 1e-7f);
        Assert.Equal(0.01f, inverse[2], 1e-8f);
        Assert.Equal(0.001f, inverse[3], 1e-9f);
    }

    [Fact]
    public void LinearScalingDividesEveryFrequency()
    {
        var json = MinimalConfig();
        json["rope_scaling"] = new JsonObject { ["type"] = "linear", ["factor"] = 4.0 };
        var config = Load(json);
        Assert.Equal(new LinearRopeScaling(4.0), config.RopeScaling);
        var scaled = config.RopeInverseFrequencies(context: 512);
        var plain = RopeFrequencies.Compute(config.RopeTheta, config.HeadDim, scaling: null, context: 512);
        for (var i = 0; i < plain.Length; i++)
            Assert.Equal(plain[i] / 4, scaled[i]);
    }

    [Fact]
    public void Llama3ScalingMatchesHandComputedValues()
    {
        // Llama-3.2-1B: theta 500000, head_dim 64, factor 32, low 1, high 4, original context 8192.
        // Band edges: wavelengths below 2048 keep their frequency, above 8192 are divided by 32, between are blended.
        var json = MinimalConfig();
        json["hidden_size"] = 2048;
        json["num_attention_heads"] = 32;
        json["num_key_value_heads"] = 8;
        json["head_dim"] = 64;
        json["rope_theta"] = 500000.0;
        json["rope_scaling"] = new JsonObject
        {
            ["rope_type"] = "llama3",
            ["factor"] = 32.0,
            ["low_freq_factor"] = 1.0,
            ["high_freq_factor"] = 4.0,
            ["original_max_position_embeddings"] = 8192,
        };
        var inverse = Load(json).RopeInverseFrequencies(context: 512);

        Assert.Equal(32, inverse.Length);
        (int Index, double Expected)[] handComputed =
        [
            (0, 1.0),
            (14, 0.0032114459947525913), // wavelength 1956: kept
            (15, 0.001290547928209264), // wavelength 2948: smooth factor 0.5928
            (16, 0.00042955679655936815), // wavelength 4443: smooth factor 0.2813
            (17, 9.70828780262767e-05), // wavelength 6695: smooth factor 0.0745
            (18, 1.9461638184831125e-05), // wavelength 10089: divided by 32
            (31, 9.418306725434909e-08),
        ];
        foreach (var (index, expected) in handComputed)
            Assert.True(Math.Abs(inverse[index] - expected) <= 2e-6 * expected, $"inv_freq[{index}] = {inverse[index]}, expected {expected}");
    }

    private static JsonObject MinimalConfig() => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["hidden_size"] = 64,
        ["intermediate_size"] = 128,
        ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 4,
        ["vocab_size"] = 100,
        ["max_position_embeddings"] = 256,
        ["rms_norm_eps"] = 1e-6,
    };

    private DecoderConfig Load(JsonObject json)
    {
        File.WriteAllText(_temp.File("config.json"), json.ToJsonString());
        return DecoderConfig.Load(_temp.Path);
    }

    private string Refusal(JsonObject json)
    {
        var error = Assert.Throws<ModelFileException>(() => Load(json));
        Assert.Equal(_temp.File("config.json"), error.Path);
        return error.Problem;
    }
}
