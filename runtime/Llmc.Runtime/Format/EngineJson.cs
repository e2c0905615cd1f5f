using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Llmc.Runtime.Format;

/// <summary>The one set of JSON options for the engine manifest, shared by writer and reader so they cannot disagree.</summary>
public static class EngineJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = false,
            // A null where the records say non-null is a corrupt manifest, not something to discover later.
            RespectNullableAnnotations = true,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        options.MakeReadOnly();
        return options;
    }
}
