using System.Text.Json;
using Llmc.Runtime.Generation;

namespace Llmc.Server;

/// <summary>
/// A <c>/v1/chat/completions</c> or <c>/v1/completions</c> request, checked field by field: each known field must have its
/// type and range; a field llmc does not implement, or does not know, is refused by name (400), never dropped.
/// </summary>
public sealed record OpenAiRequest(
    string Model,
    IReadOnlyList<(string Role, string Content)>? Messages,
    string? Prompt,
    GenerationOptions Generation,
    bool Stream,
    bool IncludeUsage)
{
    /// <summary>The most tokens one request may ask for.</summary>
    public const int MaxTokensLimit = 1 << 20;

    private static readonly HashSet<string> Common =
    [
        "model", "max_tokens", "temperature", "top_p", "top_k", "min_p", "repetition_penalty", "seed", "stop", "stream", "stream_options", "n",
        "presence_penalty", "frequency_penalty", "logprobs", "user",
    ];

    public static OpenAiRequest Parse(JsonElement body, bool chat, SamplingOptions defaults)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new RequestException(400, "the request body must be a JSON object");
        foreach (var field in body.EnumerateObject())
        {
            var known = Common.Contains(field.Name) || (chat ? field.Name is "messages" or "max_completion_tokens" : field.Name == "prompt");
            if (!known) throw RequestException.BadParameter(field.Name, $"unrecognized request argument supplied: {field.Name}");
        }
        var model = String(body, "model") ?? throw RequestException.BadParameter("model", "'model' is required");
        RefuseUnimplemented(body);
        var maxTokens = Int(body, chat && body.TryGetProperty("max_completion_tokens", out _) ? "max_completion_tokens" : "max_tokens", 1, MaxTokensLimit);
        var sampling = defaults with
        {
            Temperature = Number(body, "temperature", 0, 2) ?? defaults.Temperature,
            TopP = Number(body, "top_p", 0, 1) is { } topP ? (topP > 0 ? topP : throw RequestException.BadParameter("top_p", "'top_p' must be greater than 0")) : defaults.TopP,
            TopK = Int(body, "top_k", 0, int.MaxValue) ?? defaults.TopK,
            MinP = Number(body, "min_p", 0, 0.9999f) ?? defaults.MinP,
            RepetitionPenalty = Number(body, "repetition_penalty", 0.01f, 10) ?? defaults.RepetitionPenalty,
            Seed = Int(body, "seed", int.MinValue, int.MaxValue) ?? defaults.Seed,
        };
        var stream = Bool(body, "stream") ?? false;
        var includeUsage = false;
        if (body.TryGetProperty("stream_options", out var options) && options.ValueKind != JsonValueKind.Null)
        {
            if (!stream) throw RequestException.BadParameter("stream_options", "'stream_options' is only allowed when 'stream' is true");
            if (options.ValueKind != JsonValueKind.Object) throw RequestException.BadParameter("stream_options", "'stream_options' must be an object");
            foreach (var option in options.EnumerateObject())
                if (option.Name != "include_usage") throw RequestException.BadParameter($"stream_options.{option.Name}", $"unrecognized stream option: {option.Name}");
            includeUsage = Bool(options, "include_usage") ?? false;
        }
        var generation = new GenerationOptions
        {
            MaxTokens = maxTokens ?? new GenerationOptions().MaxTokens,
            Sampling = sampling,
            StopStrings = Stops(body),
            AddBos = chat ? false : null,
        };
        return chat
            ? new OpenAiRequest(model, ParseMessages(body), null, generation, stream, includeUsage)
            : new OpenAiRequest(model, null, String(body, "prompt") ?? throw RequestException.BadParameter("prompt", "'prompt' is required (a string)"), generation, stream, includeUsage);
    }

    private static void RefuseUnimplemented(JsonElement body)
    {
        if (Int(body, "n", 1, 128) is > 1) throw RequestException.BadParameter("n", "'n' above 1 is not supported yet");
        foreach (var penalty in new[] { "presence_penalty", "frequency_penalty" })
            if (Number(body, penalty, -2, 2) is { } p && p != 0) throw RequestException.BadParameter(penalty, $"'{penalty}' is not supported yet (use repetition_penalty)");
        if (Bool(body, "logprobs") is true) throw RequestException.BadParameter("logprobs", "'logprobs' is not supported yet");
        if (body.TryGetProperty("user", out var user) && user.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            throw RequestException.BadParameter("user", "'user' must be a string");
    }

    private static List<(string, string)> ParseMessages(JsonElement body)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw RequestException.BadParameter("messages", "'messages' is required (an array)");
        var list = new List<(string, string)>();
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var at = $"messages[{i++}]";
            if (message.ValueKind != JsonValueKind.Object) throw RequestException.BadParameter(at, $"'{at}' must be an object");
            foreach (var field in message.EnumerateObject())
                if (field.Name is not ("role" or "content" or "name"))
                    throw RequestException.BadParameter($"{at}.{field.Name}", $"'{at}.{field.Name}' is not supported yet");
            var role = String(message, "role") ?? throw RequestException.BadParameter($"{at}.role", $"'{at}.role' is required");
            if (role is not ("system" or "user" or "assistant" or "developer"))
                throw RequestException.BadParameter($"{at}.role", $"'{at}.role' must be system, developer, user or assistant, not '{role}'");
            list.Add((role == "developer" ? "system" : role, Content(message, at)));
        }
        if (list.Count == 0) throw RequestException.BadParameter("messages", "'messages' must not be empty");
        return list;
    }

    /// <summary>A message's text: a string, or an array of text parts.</summary>
    private static string Content(JsonElement message, string at)
    {
        if (!message.TryGetProperty("content", out var content)) throw RequestException.BadParameter($"{at}.content", $"'{at}.content' is required");
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind != JsonValueKind.Array) throw RequestException.BadParameter($"{at}.content", $"'{at}.content' must be a string or an array of text parts");
        var text = new System.Text.StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (String(part, "type") != "text" || String(part, "text") is not { } piece)
                throw RequestException.BadParameter($"{at}.content", $"'{at}.content' parts other than text are not supported yet");
            text.Append(piece);
        }
        return text.ToString();
    }

    private static IReadOnlyList<string> Stops(JsonElement body)
    {
        if (!body.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null) return [];
        if (stop.ValueKind == JsonValueKind.String) return [stop.GetString()!];
        if (stop.ValueKind == JsonValueKind.Array && stop.GetArrayLength() <= 4 && stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String && s.GetString()!.Length > 0))
            return [.. stop.EnumerateArray().Select(s => s.GetString()!)];
        throw RequestException.BadParameter("stop", "'stop' must be a string or up to 4 non-empty strings");
    }

    private static string? String(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString() : throw RequestException.BadParameter(name, $"'{name}' must be a string");

    private static bool? Bool(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw RequestException.BadParameter(name, $"'{name}' must be a boolean");

    private static int? Int(JsonElement body, string name, int min, int max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n)) throw RequestException.BadParameter(name, $"'{name}' must be an integer");
        return n >= min && n <= max ? (int)n : throw RequestException.BadParameter(name, $"'{name}' must be between {min} and {max}, got {n}");
    }

    private static float? Number(JsonElement body, string name, float min, float max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number) throw RequestException.BadParameter(name, $"'{name}' must be a number");
        var x = v.GetDouble();
        return x >= min && x <= max ? (float)x : throw RequestException.BadParameter(name, $"'{name}' must be between {min} and {max}, got {x}");
    }
}
