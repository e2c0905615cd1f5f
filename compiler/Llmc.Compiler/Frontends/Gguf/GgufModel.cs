using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Compiler.Weights;
using Llmc.Runtime;
using Llmc.Runtime.Tokenization;

namespace Llmc.Compiler.Frontends.Gguf;

/// <summary>
/// A GGUF file opened for building, in Hugging Face terms: <c>general.architecture</c> names the
/// <see cref="DecoderFamily"/>, its <c>&lt;arch&gt;.*</c> metadata becomes the config.json it was converted from (and goes
/// through the same checks), tensors get their Hugging Face names and layouts back
/// (<see cref="GgufWeight"/>), the tokenizer and chat template come from <c>tokenizer.*</c>, and <c>rope_freqs.weight</c>
/// (Llama 3.1+ scaling) divides the RoPE frequencies. A key or tensor llmc does not use is refused by name, never
/// dropped; only <c>general.*</c> metadata (name, author, licence, file type) is descriptive.
/// </summary>
public sealed partial class GgufModel : IModelSource
{
    private const string RopeFactorsTensor = "rope_freqs.weight";

    // LongRoPE's factors (Phi-3), which the converter moves from config.json's rope_scaling into tensors.
    private const string LongFactorsTensor = "rope_factors_long.weight", ShortFactorsTensor = "rope_factors_short.weight";

    private static readonly HashSet<string> RopeTensors = [RopeFactorsTensor, LongFactorsTensor, ShortFactorsTensor];

    // What each <arch>.* key means for the config; a key not here is refused.
    private static readonly Dictionary<string, string> ArchitectureKeys = new(StringComparer.Ordinal)
    {
        ["context_length"] = "max_position_embeddings",
        ["embedding_length"] = "hidden_size",
        ["block_count"] = "num_hidden_layers",
        ["feed_forward_length"] = "intermediate_size",
        ["attention.head_count"] = "num_attention_heads",
        ["attention.head_count_kv"] = "num_key_value_heads",
        ["attention.layer_norm_rms_epsilon"] = "rms_norm_eps",
        ["rope.freq_base"] = "rope_theta",
        ["vocab_size"] = "vocab_size",
        ["attention.key_length"] = "head_dim",
        // Checked against head_dim below rather than copied.
        ["attention.value_length"] = "",
        ["rope.dimension_count"] = "",
        ["rope.scaling.type"] = "",
        ["rope.scaling.factor"] = "",
        // The trained context a scaling stretched: informational for linear scaling, LongRoPE's original context.
        ["rope.scaling.original_context_length"] = "",
        ["rope.scaling.attn_factor"] = "",
        // 0 for none (a null sliding_window).
        ["attention.sliding_window"] = "",
        // Gemma 2's soft-caps and Gemma 3's RoPE base for its sliding-window layers.
        ["attn_logit_softcapping"] = "attn_logit_softcapping",
        ["final_logit_softcapping"] = "final_logit_softcapping",
        ["rope.freq_base_swa"] = "rope_local_base_freq",
    };

    // Tokenizer keys GgufTokenizerImport reads, the end-of-turn ids that also end generation, and the chat template.
    private static readonly HashSet<string> TokenizerKeys =
    [
        "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
        "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id",
        "tokenizer.ggml.padding_token_id", "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token", "tokenizer.ggml.add_space_prefix",
        "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id", "tokenizer.chat_template",
    ];

    // GGUF block tensors and the Hugging Face names of the layers they were converted from (weights and biases alike).
    private static readonly Dictionary<string, string> BlockTensors = new(StringComparer.Ordinal)
    {
        ["attn_norm"] = "input_layernorm",
        ["attn_q"] = "self_attn.q_proj",
        ["attn_k"] = "self_attn.k_proj",
        ["attn_v"] = "self_attn.v_proj",
        ["attn_output"] = "self_attn.o_proj",
        ["attn_qkv"] = "self_attn.qkv_proj",
        ["attn_q_norm"] = "self_attn.q_norm",
        ["attn_k_norm"] = "self_attn.k_norm",
        ["ffn_norm"] = "post_attention_layernorm",
        // Gemma's sandwich norms (its ffn_norm is the pre-feedforward one).
        ["post_attention_norm"] = "post_attention_layernorm",
        ["post_ffw_norm"] = "post_feedforward_layernorm",
        ["ffn_gate"] = "mlp.gate_proj",
        ["ffn_up"] = "mlp.up_proj",
        ["ffn_down"] = "mlp.down_proj",
    };

    private readonly GgufFile _file;

    private GgufModel(GgufFile file, DecoderConfig config, TokenizerModel tokenizer, IReadOnlyList<int> generationEos)
    {
        _file = file;
        Config = config;
        Tokenizer = tokenizer;
        GenerationEosIds = generationEos;
    }

    public string Path => _file.Path;

    public string WeightsPath => _file.Path;

    public DecoderConfig Config { get; }

    public TokenizerModel Tokenizer { get; }

    public string? ChatTemplate => Tokenizer.ChatTemplate;

    public IReadOnlyList<int> GenerationEosIds { get; }

    public static GgufModel Open(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            var architecture = file.GetString("general.architecture");
            var family = DecoderFamily.All.FirstOrDefault(f => f.GgufArchitecture == architecture) ?? throw new ModelFileException(path,
                $"general.architecture '{architecture}' is not supported (supported: {string.Join(", ", DecoderFamily.All.Select(f => f.GgufArchitecture).Distinct())})");
            RefuseUnknownKeys(file, architecture);
            var tokenizer = GgufTokenizerImport.Load(file);
            var config = DecoderConfig.Parse(ConfigJson(file, family, tokenizer), path);
            foreach (var key in new[] { $"{architecture}.attention.value_length", $"{architecture}.rope.dimension_count" })
                if (file.Contains(key) && file.GetInt64(key) != config.HeadDim)
                    throw new ModelFileException(path, $"{key} is {file.GetInt64(key)}, not the head size {config.HeadDim}: llmc rotates and attends whole heads");
            if (file.TryGetTensor(RopeFactorsTensor, out var factors))
            {
                if (config.RopeScaling is not null)
                    throw new ModelFileException(path, $"has both {architecture}.rope.scaling.type and {RopeFactorsTensor}; llmc takes one RoPE scaling");
                config = config with { RopeScaling = new FrequencyFactorsRopeScaling(new GgufWeight(file, factors).ReadFloat32()) };
            }
            int[] endOfTurn = [.. new[] { "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" }.Where(file.Contains).Select(k => (int)file.GetInt64(k))];
            var model = new GgufModel(file, config, tokenizer, endOfTurn);
            model.RefuseUnknownTensors();
            return model;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void AddWeights(WeightStore store)
    {
        foreach (var tensor in _file.Tensors)
        {
            if (RopeTensors.Contains(tensor.Name)) continue;
            var (name, ropeHeads) = HfName(tensor.Name)!.Value;
            store.Add(name, new GgufWeight(_file, tensor, ropeHeads));
        }
    }

    public void Dispose() => _file.Dispose();

    private static void RefuseUnknownKeys(GgufFile file, string architecture)
    {
        foreach (var key in file.Metadata.Keys)
        {
            if (key.StartsWith("general.", StringComparison.Ordinal) || TokenizerKeys.Contains(key)) continue;
            if (key.StartsWith(architecture + ".", StringComparison.Ordinal) && ArchitectureKeys.ContainsKey(key[(architecture.Length + 1)..])) continue;
            throw new ModelFileException(file.Path, $"metadata key '{key}' is not supported by llmc's {architecture} import");
        }
    }

    /// <summary>The config.json a Hugging Face model of <paramref name="family"/> with this metadata has.</summary>
    private static JsonObject ConfigJson(GgufFile file, DecoderFamily family, TokenizerModel tokenizer)
    {
        var architecture = family.GgufArchitecture;
        var json = new JsonObject { ["architectures"] = new JsonArray(family.ClassName), ["hidden_act"] = family.Activation };
        foreach (var (key, field) in ArchitectureKeys.Where(k => k.Value.Length > 0))
        {
            var name = $"{architecture}.{key}";
            if (!file.Contains(name)) continue;
            json[field] = file.Metadata[name].Type is GgufValueType.Float32 or GgufValueType.Float64
                ? JsonValue.Create(file.GetFloat64(name))
                : JsonValue.Create(checked((int)file.GetInt64(name)));
        }
        if (family.GemmaAttention) json["query_pre_attn_scalar"] = (double)GemmaQueryScalar(json);
        json["vocab_size"] ??= tokenizer.Pieces.Length;
        json["tie_word_embeddings"] = !file.TryGetTensor("output.weight", out _);
        if (tokenizer.BosId is { } bos) json["bos_token_id"] = bos;
        if (tokenizer.EosId is { } eos) json["eos_token_id"] = eos;

        if (file.Contains($"{architecture}.attention.sliding_window") && file.GetInt64($"{architecture}.attention.sliding_window") is > 0 and var window)
            json["sliding_window"] = checked((int)window);
        if (file.TryGetTensor(LongFactorsTensor, out var longFactors) && file.TryGetTensor(ShortFactorsTensor, out var shortFactors))
        {
            json["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = "longrope",
                ["long_factor"] = new JsonArray([.. new GgufWeight(file, longFactors).ReadFloat32().Select(f => (JsonNode)(double)f)]),
                ["short_factor"] = new JsonArray([.. new GgufWeight(file, shortFactors).ReadFloat32().Select(f => (JsonNode)(double)f)]),
                ["original_max_position_embeddings"] = checked((int)file.GetInt64($"{architecture}.rope.scaling.original_context_length")),
                ["attention_factor"] = file.GetFloat64($"{architecture}.rope.scaling.attn_factor"),
            };
            return json;
        }
        json["rope_scaling"] = file.GetString($"{architecture}.rope.scaling.type", "none") switch
        {
            "none" => null,
            "linear" => new JsonObject { ["rope_type"] = "linear", ["factor"] = file.GetFloat64($"{architecture}.rope.scaling.factor") },
            var other => throw new ModelFileException(file.Path, $"{architecture}.rope.scaling.type '{other}' is not supported (none, linear, or rope_freqs.weight)"),
        };
        return json;
    }

    /// <summary>
    /// Gemma's <c>query_pre_attn_scalar</c>, which GGUF metadata does not carry: as llama.cpp takes it, the head size,
    /// except for the 27B models (46 layers in Gemma 2, 62 in Gemma 3), which scale by hidden_size / heads.
    /// </summary>
    private static int GemmaQueryScalar(JsonObject config)
    {
        var layers = (int)config["num_hidden_layers"]!;
        var heads = (int)config["num_attention_heads"]!;
        var headDim = (int?)config["head_dim"] ?? (int)config["hidden_size"]! / heads;
        var is27B = ((string)config["architectures"]![0]!, layers) is ("Gemma2ForCausalLM", 46) or ("Gemma3ForCausalLM", 62);
        return is27B ? (int)config["hidden_size"]! / heads : headDim;
    }

    private void RefuseUnknownTensors()
    {
        foreach (var tensor in _file.Tensors)
            if (!RopeTensors.Contains(tensor.Name) && HfName(tensor.Name) is null)
                throw new ModelFileException(_file.Path, $"tensor '{tensor.Name}' is not part of llmc's {Config.Family.GgufArchitecture} model");
    }

    /// <summary>
    /// The Hugging Face name of a GGUF tensor and, for q and k projections of a family whose converter permutes them,
    /// the heads whose rows to reorder; null when the family has no such tensor.
    /// </summary>
    private (string Name, int? RopeHeads)? HfName(string gguf)
    {
        switch (gguf)
        {
            case "token_embd.weight": return ("model.embed_tokens.weight", null);
            case "output_norm.weight": return ("model.norm.weight", null);
            case "output.weight": return ("lm_head.weight", null);
        }
        var block = BlockTensor().Match(gguf);
        if (!block.Success || !BlockTensors.TryGetValue(block.Groups[2].Value, out var part)) return null;
        var layer = int.Parse(block.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (layer >= Config.NumHiddenLayers) return null;
        var kind = block.Groups[3].Value;
        // A family whose checkpoints fuse projections converts them fused: attn_qkv, and ffn_up holding gate and up.
        if (Config.Family.FusedProjections)
        {
            part = block.Groups[2].Value switch
            {
                "attn_qkv" => "self_attn.qkv_proj",
                "ffn_up" => "mlp.gate_up_proj",
                "attn_q" or "attn_k" or "attn_v" or "ffn_gate" => null,
                _ => part,
            };
            if (part is null) return null;
        }
        else if (block.Groups[2].Value == "attn_qkv")
            return null;
        if (block.Groups[2].Value is "attn_q_norm" or "attn_k_norm" && !Config.Family.QkNorm) return null;
        if (Config.Family.SandwichNorms && block.Groups[2].Value == "ffn_norm") part = "pre_feedforward_layernorm";
        else if (!Config.Family.SandwichNorms && block.Groups[2].Value is "post_attention_norm" or "post_ffw_norm") return null;
        if (kind == "bias" && !(Config.Family.QkvBias && block.Groups[2].Value is "attn_q" or "attn_k" or "attn_v")) return null;
        int? heads = Config.Family.GgufPermutesQk ? block.Groups[2].Value switch
        {
            "attn_q" => Config.NumAttentionHeads,
            "attn_k" => Config.NumKeyValueHeads,
            _ => null,
        } : null;
        return ($"model.layers.{layer}.{part}.{kind}", heads);
    }

    [GeneratedRegex(@"^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$")]
    private static partial Regex BlockTensor();
}
