using System.Text.Json;
using System.Text.Json.Nodes;
using Llmc.Runtime;

namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>
/// The config.json of a decoder-only Hugging Face model of one of the <see cref="DecoderFamily"/> classes, with
/// transformers' defaults applied and everything llmc cannot build refused up front by name.
/// </summary>
public sealed record DecoderConfig
{
    public const string FileName = "config.json";

    /// <summary>The config.json this was read from (used in error messages further down the pipeline).</summary>
    public required string Path { get; init; }

    public required DecoderFamily Family { get; init; }

    /// <summary><c>architectures[0]</c>.</summary>
    public string Architecture => Family.ClassName;

    /// <summary>Per layer, the positions its attention sees (<c>sliding_window</c> where the family applies it), or null for all.</summary>
    public required IReadOnlyList<int?> LayerWindows { get; init; }

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumHiddenLayers { get; init; }

    public required int NumAttentionHeads { get; init; }

    /// <summary>Defaults to <see cref="NumAttentionHeads"/> (no grouped-query attention).</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Defaults to <c>hidden_size / num_attention_heads</c>.</summary>
    public required int HeadDim { get; init; }

    public required int VocabSize { get; init; }

    public required int MaxPositionEmbeddings { get; init; }

    public required double RmsNormEps { get; init; }

    /// <summary>Defaults to 10000.</summary>
    public required double RopeTheta { get; init; }

    public RopeScaling? RopeScaling { get; init; }

    public required bool TieWordEmbeddings { get; init; }

    /// <summary>Gemma's <c>query_pre_attn_scalar</c>: scores are scaled by its −1/2 power instead of head_dim's.</summary>
    public double? QueryPreAttnScalar { get; init; }

    /// <summary>Gemma 2's <c>attn_logit_softcapping</c>.</summary>
    public double? AttentionSoftcap { get; init; }

    /// <summary>Gemma 2's <c>final_logit_softcapping</c>.</summary>
    public double? FinalSoftcap { get; init; }

    /// <summary>Gemma 3's <c>rope_local_base_freq</c>: the RoPE base of its sliding-window layers, unscaled.</summary>
    public double? LocalRopeTheta { get; init; }

    public int? BosTokenId { get; init; }

    /// <summary><c>eos_token_id</c>, which configs write as one id or a list.</summary>
    public required IReadOnlyList<int> EosTokenIds { get; init; }

    /// <summary><c>torch_dtype</c> (or <c>dtype</c> in newer transformers), e.g. <c>bfloat16</c>.</summary>
    public string? TorchDType { get; init; }

    /// <summary>The whole config.json as read, to store verbatim in the engine.</summary>
    public required JsonObject Raw { get; init; }

    /// <summary>Reads <c>folder/config.json</c>.</summary>
    public static DecoderConfig Load(string folder)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new ModelFileException(path, "not found: a HuggingFace model folder needs config.json");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelFileException(path, $"not valid JSON: {e.Message}", e);
        }
        return root is JsonObject json ? Parse(json, path) : throw new ModelFileException(path, "is not a JSON object");
    }

    /// <summary>Validates a config already in memory; <paramref name="path"/> is only used in messages.</summary>
    public static DecoderConfig Parse(JsonObject json, string path)
    {
        var fields = new ConfigFields(path, json);
        var family = ReadFamily(fields);
        RefuseUnsupportedFeatures(fields, family);

        var hidden = fields.PositiveInt("hidden_size");
        var heads = fields.PositiveInt("num_attention_heads");
        var kvHeads = fields.OptionalPositiveInt("num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0)
            throw fields.Error("num_key_value_heads", $"({kvHeads}) must divide num_attention_heads ({heads})");
        var headDim = fields.OptionalPositiveInt("head_dim") ?? DefaultHeadDim(fields, hidden, heads);
        if (headDim % 2 != 0)
            throw fields.Error("head_dim", $"must be even for rotary embeddings, got {headDim}");
        var layers = fields.PositiveInt("num_hidden_layers");
        if (fields.OptionalPositiveNumber("partial_rotary_factor") is { } partial && partial != 1.0)
            throw fields.Error("partial_rotary_factor", $"is {partial}; llmc rotates whole heads");

        return new DecoderConfig
        {
            Path = path,
            Family = family,
            LayerWindows = ReadLayerWindows(fields, family, layers),
            HiddenSize = hidden,
            IntermediateSize = fields.PositiveInt("intermediate_size"),
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = fields.PositiveInt("vocab_size"),
            MaxPositionEmbeddings = fields.PositiveInt("max_position_embeddings"),
            RmsNormEps = fields.PositiveNumber("rms_norm_eps"),
            RopeTheta = fields.OptionalPositiveNumber("rope_theta") ?? 10000.0,
            RopeScaling = RopeScalingParser.Read(fields, headDim),
            TieWordEmbeddings = fields.Bool("tie_word_embeddings", defaultValue: family.TiedByDefault),
            QueryPreAttnScalar = family.GemmaAttention ? fields.OptionalPositiveNumber("query_pre_attn_scalar") : null,
            AttentionSoftcap = family.GemmaAttention ? fields.OptionalPositiveNumber("attn_logit_softcapping") : null,
            FinalSoftcap = family.GemmaAttention ? fields.OptionalPositiveNumber("final_logit_softcapping") : null,
            LocalRopeTheta = family.LocalRope ? fields.OptionalPositiveNumber("rope_local_base_freq") ?? 10000.0 : null,
            BosTokenId = fields.OptionalInt("bos_token_id"),
            EosTokenIds = fields.IntOrIntList("eos_token_id"),
            TorchDType = fields.OptionalString("torch_dtype") ?? fields.OptionalString("dtype"),
            Raw = json,
        };
    }

    /// <summary>RoPE inverse frequencies (head_dim / 2 of them) with this config's theta and scaling folded in, for an engine of <paramref name="context"/> positions.</summary>
    public float[] RopeInverseFrequencies(int context) => RopeFrequencies.Compute(RopeTheta, HeadDim, RopeScaling, context);

    private static DecoderFamily ReadFamily(ConfigFields fields)
    {
        if (fields.Json["architectures"] is not JsonArray { Count: > 0 } architectures
            || architectures[0] is not JsonValue first
            || first.GetValueKind() != JsonValueKind.String)
        {
            throw fields.Error("architectures", "must be a list starting with the model class name");
        }
        var name = first.GetValue<string>();
        return DecoderFamily.Find(name)
            ?? throw new ModelFileException(fields.Path, $"unsupported architecture '{name}' (supported: {string.Join(", ", DecoderFamily.All.Select(f => f.ClassName))})");
    }

    /// <summary>
    /// Each layer's window, as the family's modeling code applies <c>sliding_window</c> (a window the family has no use
    /// for is refused rather than dropped). <c>use_sliding_window: false</c> switches it off where the family reads that key.
    /// </summary>
    private static int?[] ReadLayerWindows(ConfigFields fields, DecoderFamily family, int layers)
    {
        var window = fields.OptionalPositiveInt("sliding_window");
        var readKeys = family.Window switch
        {
            SlidingWindowLayers.FromMaxWindowLayers => new[] { "use_sliding_window", "max_window_layers", "layer_types" },
            SlidingWindowLayers.EvenLayers => ["layer_types"],
            SlidingWindowLayers.Pattern => ["layer_types", "sliding_window_pattern"],
            _ => [],
        };
        foreach (var key in new[] { "use_sliding_window", "max_window_layers", "layer_types", "sliding_window_pattern" }.Except(readKeys))
            if (fields.Json[key] is not null) throw fields.Error(key, $"is set, but {family.ClassName} does not read it");
        switch (family.Window)
        {
            case SlidingWindowLayers.Every:
                return [.. Enumerable.Repeat(window, layers)];
            case SlidingWindowLayers.FromMaxWindowLayers:
            case SlidingWindowLayers.EvenLayers:
            case SlidingWindowLayers.Pattern:
                return [.. LayerKinds(fields, family, layers).Select(sliding => sliding ? window : null)];
            default:
                return window is null ? new int?[layers] : throw fields.Error("sliding_window", $"is {window}, but {family.ClassName} has no sliding-window attention");
        }
    }

    /// <summary>Per layer, whether it attends through the sliding window (the family's rule, or <c>layer_types</c>).</summary>
    private static bool[] LayerKinds(ConfigFields fields, DecoderFamily family, int layers)
    {
        var window = fields.OptionalPositiveInt("sliding_window");
        var used = family.Window == SlidingWindowLayers.FromMaxWindowLayers && fields.Bool("use_sliding_window", defaultValue: false);
        var first = family.Window == SlidingWindowLayers.FromMaxWindowLayers ? fields.OptionalInt("max_window_layers") ?? layers : layers;
        bool[] kinds;
        if (fields.Json["layer_types"] is { } listed)
        {
            if (listed is not JsonArray array || array.Count != layers
                || array.Any(t => t?.GetValueKind() != JsonValueKind.String || t.GetValue<string>() is not ("sliding_attention" or "full_attention")))
                throw fields.Error("layer_types", $"must list {layers} of \"sliding_attention\" and \"full_attention\"");
            kinds = [.. array.Select(t => t!.GetValue<string>() == "sliding_attention")];
        }
        else if (family.Window == SlidingWindowLayers.EvenLayers)
            kinds = [.. Enumerable.Range(0, layers).Select(i => window is not null && i % 2 == 0)];
        else if (family.Window == SlidingWindowLayers.Pattern)
        {
            var pattern = fields.OptionalPositiveInt("sliding_window_pattern") ?? 6;
            kinds = [.. Enumerable.Range(0, layers).Select(i => window is not null && (i + 1) % pattern != 0)];
        }
        else
            kinds = [.. Enumerable.Range(0, layers).Select(i => used && i >= first)];
        if (kinds.Any(k => k) && window is null)
            throw fields.Error("sliding_window", "is missing, but layers attend through a sliding window");
        return kinds;
    }

    private static void RefuseUnsupportedFeatures(ConfigFields fields, DecoderFamily family)
    {
        foreach (var bias in new[] { "attention_bias", "mlp_bias" })
        {
            if (fields.Bool(bias, defaultValue: false))
                throw fields.Error(bias, $"is true, but llmc's {family.ClassName} has no such bias terms");
        }
        // Gemma names its activation hidden_activation (and may carry hidden_act too).
        foreach (var key in new[] { "hidden_act", "hidden_activation" })
            if (fields.OptionalString(key) is { } activation && activation != family.Activation)
                throw fields.Error(key, $"is '{activation}', but llmc's {family.ClassName} MLP gates with {family.Activation}");
        if (!family.GemmaAttention)
            foreach (var key in new[] { "query_pre_attn_scalar", "attn_logit_softcapping", "final_logit_softcapping" })
                if (fields.Json[key] is not null) throw fields.Error(key, $"is set, but {family.ClassName} does not read it");
        if (!family.LocalRope && fields.Json["rope_local_base_freq"] is not null)
            throw fields.Error("rope_local_base_freq", $"is set, but {family.ClassName} does not read it");
    }

    private static int DefaultHeadDim(ConfigFields fields, int hidden, int heads) =>
        hidden % heads == 0
            ? hidden / heads
            : throw fields.Error("head_dim", $"is missing and hidden_size {hidden} is not a multiple of num_attention_heads {heads}");
}
