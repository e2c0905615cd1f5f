using Llmc.Runtime.Generation;

namespace Llmc.Server;

/// <summary>The JSON bodies of OpenAI's API: completions and their stream chunks, usage, models, errors.</summary>
public static class OpenAiResponses
{
    public static string FinishReason(GenerationResult result) => result.FinishReason == Runtime.Generation.FinishReason.Length ? "length" : "stop";

    public static Dictionary<string, object?> Usage(GenerationResult result) => new()
    {
        ["prompt_tokens"] = result.Stats.PromptTokens,
        ["completion_tokens"] = result.Stats.GeneratedTokens,
        ["total_tokens"] = result.Stats.PromptTokens + result.Stats.GeneratedTokens,
        ["prompt_tokens_details"] = new Dictionary<string, object?> { ["cached_tokens"] = result.Stats.CachedPromptTokens },
    };

    /// <summary>A whole response: <c>chat.completion</c> with a message, or <c>text_completion</c> with text.</summary>
    public static Dictionary<string, object?> Completion(string id, long created, string model, bool chat, GenerationResult result) => new()
    {
        ["id"] = id,
        ["object"] = chat ? "chat.completion" : "text_completion",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = new[]
        {
            chat
                ? new Dictionary<string, object?> { ["index"] = 0, ["message"] = new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = result.Text }, ["logprobs"] = null, ["finish_reason"] = FinishReason(result) }
                : new Dictionary<string, object?> { ["index"] = 0, ["text"] = result.Text, ["logprobs"] = null, ["finish_reason"] = FinishReason(result) },
        },
        ["usage"] = Usage(result),
    };

    /// <summary>One stream chunk: a piece of text (with the role in the first chat chunk), the finish reason, or, with no choices, the usage.</summary>
    public static Dictionary<string, object?> Chunk(string id, long created, string model, bool chat, string? text, string? finishReason, bool first,
        Dictionary<string, object?>? usage = null)
    {
        object choice = chat
            ? new Dictionary<string, object?>
            {
                ["index"] = 0,
                ["delta"] = first ? new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = text ?? "" } : text is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["content"] = text },
                ["logprobs"] = null,
                ["finish_reason"] = finishReason,
            }
            : new Dictionary<string, object?> { ["index"] = 0, ["text"] = text ?? "", ["logprobs"] = null, ["finish_reason"] = finishReason };
        var chunk = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["object"] = chat ? "chat.completion.chunk" : "text_completion",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = usage is null ? new[] { choice } : Array.Empty<object>(),
        };
        if (usage is not null) chunk["usage"] = usage;
        return chunk;
    }

    public static Dictionary<string, object?> Error(RequestException e) => new()
    {
        ["error"] = new Dictionary<string, object?> { ["message"] = e.Message, ["type"] = e.Type, ["param"] = e.Param, ["code"] = e.Code },
    };
}
