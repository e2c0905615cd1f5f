using System.Text.Json.Nodes;

namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>Reads <c>rope_scaling</c>: null, linear or llama3; any other kind is refused by name rather than silently ignored.</summary>
internal static class RopeScalingParser
{
    private const string FieldName = "rope_scaling";

    public static RopeScaling? Read(ConfigFields config)
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
            _ => throw config.Error(FieldName, $"has unsupported type '{kind}' (supported: linear, llama3)"),
        };
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
