using System.Text.Json.Serialization;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Format;

/// <summary>
/// Serialization code generated at build time for the largest JSON an engine holds, its tokenizer (a Llama 3 vocabulary
/// of 128,256 pieces and 280,147 merges): reflection-based metadata took about a third of a second of every load.
/// The options are <see cref="EngineJson.Options"/>'s, which resolve through this context first.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(TokenizerModel))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
