using System.Text.Json;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Templates;

/// <summary>
/// The special-token variables a chat template reads (<c>bos_token</c>, <c>eos_token</c>, <c>unk_token</c>,
/// <c>pad_token</c>), as transformers passes its <c>special_tokens_map</c>: the text of the tokenizer's tokens, absent
/// where the tokenizer has none.
/// </summary>
public static class SpecialTokens
{
    private static readonly string[] Names = ["bos_token", "eos_token", "unk_token", "pad_token"];

    /// <summary>The tokens a tokenizer_config.json names (each a string, or an added-token object with its content).</summary>
    public static Dictionary<string, string?> FromTokenizerConfig(JsonElement config)
    {
        var tokens = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            if (!config.TryGetProperty(name, out var token)) continue;
            tokens[name] = token.ValueKind switch
            {
                JsonValueKind.String => token.GetString(),
                JsonValueKind.Object when token.TryGetProperty("content", out var content) => content.GetString(),
                _ => null,
            };
        }
        return tokens;
    }

    public static Dictionary<string, string?> Of(TokenizerModel tokenizer)
    {
        string? Text(int? id) => id is { } i && i >= 0 && i < tokenizer.Pieces.Length ? tokenizer.Pieces[i] : null;
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["bos_token"] = Text(tokenizer.BosId),
            ["eos_token"] = Text(tokenizer.EosId),
            ["unk_token"] = Text(tokenizer.UnknownId),
            ["pad_token"] = Text(tokenizer.PadId),
        };
    }
}
