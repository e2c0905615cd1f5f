using System.Text.Json.Nodes;

namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>Reads <c>rope_scaling</c>: null, linear, llama3 or longrope; any other kind is refused by name rather than silently ignored.</summary>
internal static class RopeScalingParser
{
    private const string FieldName = "rope_scaling";

    public static RopeScaling? Read(ConfigFields config, int headDim)
    {
        var node = config.Json[FieldName];
        if (node is null)
            return null;
        if (node is not JsonObject json)
            throw config.Error(FieldName, $"must be an object or null, got {node.ToJsonString()}");

        var fields = config.Nested(FieldName, json);
        // transformers renamed "type" to "rope_type"; configs in the wild carry either.
        var kind = fields.OptionalString("rope_type") ?? fields.OptionalString("type")
            ?? throw fields.Error("rope_type", "is missing");
        return kind switch
        {
            "default" => null,
            "linear" => new LinearRopeScaling(fields.PositiveNumber("factor")),
            "llama3" => ReadLlama3(fields),
            // "su" is what Phi-3's first configs called it.
            "longrope" or "su" => ReadLongRope(config, fields, headDim),
            _ => throw config.Error(FieldName, $"has unsupported type '{kind}' (supported: linear, llama3, longrope)"),
        };
    }

    /// <summary>
    /// LongRoPE as transformers reads it: the original context from <c>rope_scaling</c> or the config, the scale
    /// <c>factor</c> (default max_position_embeddings / original), and the attention factor (default
    /// sqrt(1 + ln factor / ln original), 1 when the factor is not above 1).
    /// </summary>
    private static LongRopeScaling ReadLongRope(ConfigFields config, ConfigFields fields, int headDim)
    {
        var original = fields.OptionalPositiveInt("original_max_position_embeddings")
            ?? config.OptionalPositiveInt("original_max_position_embeddings")
            ?? throw fields.Error("original_max_position_embeddings", "is missing (LongRoPE needs the original context)");
        var factor = fields.OptionalPositiveNumber("factor") ?? (double)config.PositiveInt("max_position_embeddings") / original;
        var attention = fields.OptionalPositiveNumber("attention_factor")
            ?? (factor <= 1 ? 1.0 : Math.Sqrt(1 + Math.Log(factor) / Math.Log(original)));
        return new LongRopeScaling(Factors(fields, "short_factor", headDim), Factors(fields, "long_factor", headDim), original, attention);
    }

    private static float[] Factors(ConfigFields fields, string name, int headDim)
    {
        if (fields.Json[name] is not JsonArray array || array.Count != headDim / 2
            || array.Any(v => v is not JsonValue value || value.GetValueKind() != System.Text.Json.JsonValueKind.Number || value.GetValue<double>() <= 0))
            throw fields.Error(name, $"must list head_dim / 2 = {headDim / 2} positive numbers");
        return [.. array.Select(v => (float)v!.GetValue<double>())];
    }

    private static Llama3RopeScaling ReadLlama3(ConfigFields fields)
    {
        var scaling = new Llama3RopeScaling(
            fields.PositiveNumber("factor"),
            fields.PositiveNumber("low_freq_factor"),
            fields.PositiveNumber("high_freq_factor"),
            fields.PositiveInt("original_max_position_embeddings"));
        // The blend divides by (high - low), and the band is empty unless high exceeds low.
        if (scaling.HighFreqFactor <= scaling.LowFreqFactor)
            throw fields.Error("high_freq_factor", $"({scaling.HighFreqFactor}) must exceed low_freq_factor ({scaling.LowFreqFactor})");
        return scaling;
    }
}
