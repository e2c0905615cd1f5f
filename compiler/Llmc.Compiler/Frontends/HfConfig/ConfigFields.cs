using System.Text.Json;
using System.Text.Json.Nodes;
using Llmc.Runtime;

namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>
/// Typed reads of a config.json object, each failure a <see cref="ModelFileException"/> naming the file and the field.
/// An explicit JSON <c>null</c> counts as absent, as it does for transformers.
/// </summary>
internal sealed class ConfigFields(string path, JsonObject json, string prefix = "")
{
    public string Path => path;

    public JsonObject Json => json;

    public ConfigFields Nested(string name, JsonObject nested) => new(path, nested, prefix + name + ".");

    public ModelFileException Error(string name, string problem) => new(path, $"field '{prefix}{name}' {problem}");

    public int PositiveInt(string name) =>
        OptionalPositiveInt(name) ?? throw Error(name, "is missing");

    public int? OptionalPositiveInt(string name)
    {
        var value = OptionalInt(name);
        return value is null or > 0 ? value : throw Error(name, $"must be positive, got {value}");
    }

    public int? OptionalInt(string name) => json[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) => i,
        var other => throw Error(name, $"must be an integer, got {other.ToJsonString()}"),
    };

    public double PositiveNumber(string name) =>
        OptionalPositiveNumber(name) ?? throw Error(name, "is missing");

    public double? OptionalPositiveNumber(string name)
    {
        double? value = json[name] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) => d,
            var other => throw Error(name, $"must be a number, got {other.ToJsonString()}"),
        };
        return value is null or > 0 ? value : throw Error(name, $"must be a positive number, got {value}");
    }

    public bool Bool(string name, bool defaultValue) => json[name] switch
    {
        null => defaultValue,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var other => throw Error(name, $"must be true or false, got {other.ToJsonString()}"),
    };

    public string? OptionalString(string name) => json[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw Error(name, $"must be a string, got {other.ToJsonString()}"),
    };

    /// <summary>A field that may be one integer or a list of them, like <c>eos_token_id</c>.</summary>
    public List<int> IntOrIntList(string name)
    {
        if (json[name] is JsonArray array)
        {
            return array.Select(item => item is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i)
                ? i
                : throw Error(name, $"must hold integers, got {item?.ToJsonString() ?? "null"}")).ToList();
        }
        return OptionalInt(name) is { } single ? [single] : [];
    }
}
