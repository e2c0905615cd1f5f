using System.Text.Json;
using Llmc.Runtime.Generation;

namespace Llmc.Server;

/// <summary>
/// A <c>/v1/chat/completions</c> or <c>/v1/completions</c> request, checked field by field: each known field must have its
/// type and range; a field llmc does not implement, or does not know, is refused by name (400), never dropped.
/// </summary>
/// <param name="Prompt">A completion's prompt as text, or null when it came as token ids (<paramref name="PromptTokens"/>).</param>
/// <param name="Choices">How many completions to generate for the prompt (OpenAI's <c>n</c>).</param>
public sealed record OpenAiRequest(
    string Model,
    IReadOnlyList<(string Role, string Content)>? Messages,
    string? Prompt,
    int[]? PromptTokens,
    GenerationOptions Generation,
    int Choices,
    bool Stream,
    bool IncludeUsage)
{
    /// <summary>The most tokens one request may ask for.</summary>
    public const int MaxTokensLimit = 1 << 20;

    /// <summary>The most completions one request may ask for (<c>n</c>).</summary>
    public const int MaxChoices = 16;

    /// <summary>The most alternatives per token a completion (not chat) request may ask for, as OpenAI's legacy API allows.</summary>
    public const int MaxCompletionLogprobs = 5;

    private static readonly HashSet<string> Common =
    [
        "model", "max_tokens", "temperature", "top_p", "top_k", "min_p", "repetition_penalty", "seed", "stop", "stream", "stream_options", "n",
        "presence_penalty", "frequency_penalty", "logprobs", "user", "ignore_eos",
    ];

    public static OpenAiRequest Parse(JsonElement body, bool chat, SamplingOptions defaults)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new RequestException(400, "the request body must be a JSON object");
        foreach (var field in body.EnumerateObject())
        {
            var known = Common.Contains(field.Name) || (chat ? field.Name is "messages" or "max_completion_tokens" or "top_logprobs" : field.Name == "prompt");
            if (!known) throw RequestException.BadParameter(field.Name, $"unrecognized request argument supplied: {field.Name}");
        }
        var model = String(body, "model") ?? throw RequestException.BadParameter("model", "'model' is required");
        if (body.TryGetProperty("user", out var user) && user.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            throw RequestException.BadParameter("user", "'user' must be a string");
        var maxTokens = Int(body, chat && body.TryGetProperty("max_completion_tokens", out _) ? "max_completion_tokens" : "max_tokens", 1, MaxTokensLimit);
        var sampling = defaults with
        {
            Temperature = Number(body, "temperature", 0, 2) ?? defaults.Temperature,
            TopP = Number(body, "top_p", 0, 1) is { } topP ? (topP > 0 ? topP : throw RequestException.BadParameter("top_p", "'top_p' must be greater than 0")) : defaults.TopP,
            TopK = Int(body, "top_k", 0, int.MaxValue) ?? defaults.TopK,
            MinP = Number(body, "min_p", 0, 0.9999f) ?? defaults.MinP,
            RepetitionPenalty = Number(body, "repetition_penalty", 0.01f, 10) ?? defaults.RepetitionPenalty,
            PresencePenalty = Number(body, "presence_penalty", -2, 2) ?? defaults.PresencePenalty,
            FrequencyPenalty = Number(body, "frequency_penalty", -2, 2) ?? defaults.FrequencyPenalty,
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
            StopOnEos = !(Bool(body, "ignore_eos") ?? false),
            Logprobs = chat ? ChatLogprobs(body) : Int(body, "logprobs", 0, MaxCompletionLogprobs),
        };
        var choices = Int(body, "n", 1, MaxChoices) ?? 1;
        if (chat) return new OpenAiRequest(model, ParseMessages(body), null, null, generation, choices, stream, includeUsage);
        var (prompt, tokens) = CompletionPrompt(body);
        return new OpenAiRequest(model, null, prompt, tokens, generation, choices, stream, includeUsage);
    }

    /// <summary>
    /// The options of completion <paramref name="choice"/> of <see cref="Choices"/>: with a seed, choice i draws from
    /// seed + i, so the choices differ and each is reproducible.
    /// </summary>
    public GenerationOptions GenerationFor(int choice) =>
        choice == 0 || Generation.Sampling.Seed is not { } seed ? Generation : Generation with { Sampling = Generation.Sampling with { Seed = unchecked(seed + choice) } };

    /// <summary>Chat's <c>logprobs</c> (a boolean) and <c>top_logprobs</c> (0 to 20, only with logprobs).</summary>
    private static int? ChatLogprobs(JsonElement body)
    {
        var top = Int(body, "top_logprobs", 0, TokenLogprob.MaxTop);
        if (Bool(body, "logprobs") is true) return top ?? 0;
        return top is null ? null : throw RequestException.BadParameter("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
    }

    /// <summary>A completion's prompt: a string, or an array of token ids (an array of prompts is refused).</summary>
    private static (string? Text, int[]? Tokens) CompletionPrompt(JsonElement body)
    {
        if (!body.TryGetProperty("prompt", out var prompt) || prompt.ValueKind == JsonValueKind.Null)
            throw RequestException.BadParameter("prompt", "'prompt' is required (a string or an array of token ids)");
        if (prompt.ValueKind == JsonValueKind.String) return (prompt.GetString(), null);
        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() > 0 && prompt.EnumerateArray().All(t => t.ValueKind == JsonValueKind.Number))
            return (null, [.. prompt.EnumerateArray().Select(t => t.TryGetInt32(out var id) && id >= 0 ? id
                : throw RequestException.BadParameter("prompt", $"'prompt' token ids must be non-negative integers, got {t.GetRawText()}"))]);
        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() > 0)
            throw RequestException.BadParameter("prompt", "'prompt' as a batch of several prompts is not supported yet (send one request per prompt)");
        throw RequestException.BadParameter("prompt", "'prompt' must be a string or a non-empty array of token ids");
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
