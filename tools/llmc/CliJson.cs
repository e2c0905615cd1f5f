using System.Text.Encodings.Web;
using System.Text.Json;

namespace Llmc.Cli;

/// <summary>JSON for people and scripts: text stays readable (no \u0027 for apostrophes), one line per object.</summary>
public static class CliJson
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
