using Llmc.Runtime.Generation;
using Llmc.Runtime.Tokenization;

namespace Llmc.Server;

/// <summary>The JSON bodies of OpenAI's API: completions and their stream chunks, usage, models, errors.</summary>
public static class OpenAiResponses
{
    public static string FinishReason(GenerationResult result) => result.FinishReason == Runtime.Generation.FinishReason.Length ? "length" : "stop";

    /// <summary>The usage of a request's choices: the prompt counts once, the completions add up.</summary>
    public static Dictionary<string, object?> Usage(IReadOnlyList<GenerationResult> results)
    {
        var (prompt, generated) = (results[0].Stats.PromptTokens, results.Sum(r => r.Stats.GeneratedTokens));
        return new Dictionary<string, object?>
        {
            ["prompt_tokens"] = prompt,
            ["completion_tokens"] = generated,
            ["total_tokens"] = prompt + generated,
            ["prompt_tokens_details"] = new Dictionary<string, object?> { ["cached_tokens"] = results[0].Stats.CachedPromptTokens },
        };
    }

    /// <summary>A whole response: <c>chat.completion</c> with a message per choice, or <c>text_completion</c> with text.</summary>
    public static Dictionary<string, object?> Completion(string id, long created, string model, bool chat, IReadOnlyList<GenerationResult> results, Tokenizer tokenizer) => new()
    {
        ["id"] = id,
        ["object"] = chat ? "chat.completion" : "text_completion",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = results.Select((result, index) =>
        {
            var offset = 0;
            object? logprobs = result.Logprobs is not { } l ? null : chat ? OpenAiLogprobs.Chat(l, tokenizer) : OpenAiLogprobs.Completion(l, tokenizer, ref offset);
            return chat
                ? new Dictionary<string, object?> { ["index"] = index, ["message"] = new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = result.Text }, ["logprobs"] = logprobs, ["finish_reason"] = FinishReason(result) }
                : new Dictionary<string, object?> { ["index"] = index, ["text"] = result.Text, ["logprobs"] = logprobs, ["finish_reason"] = FinishReason(result) };
        }).ToArray(),
        ["usage"] = Usage(results),
    };

    /// <summary>One stream chunk of choice <paramref name="index"/>: a piece of text (with the role in a chat choice's first chunk) and its tokens' log-probabilities, or the finish reason.</summary>
    public static Dictionary<string, object?> Chunk(string id, long created, string model, bool chat, int index, string? text, object? logprobs, string? finishReason, bool first)
    {
        var choice = chat
            ? new Dictionary<string, object?>
            {
                ["index"] = index,
                ["delta"] = first ? new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = text ?? "" } : text is null ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["content"] = text },
                ["logprobs"] = logprobs,
                ["finish_reason"] = finishReason,
            }
            : new Dictionary<string, object?> { ["index"] = index, ["text"] = text ?? "", ["logprobs"] = logprobs, ["finish_reason"] = finishReason };
        return new Dictionary<string, object?> { ["id"] = id, ["object"] = ChunkObject(chat), ["created"] = created, ["model"] = model, ["choices"] = new[] { choice } };
    }

    /// <summary>The last chunk before <c>[DONE]</c> when the client asked for usage: no choices, the request's usage.</summary>
    public static Dictionary<string, object?> UsageChunk(string id, long created, string model, bool chat, IReadOnlyList<GenerationResult> results) => new()
    {
        ["id"] = id,
        ["object"] = ChunkObject(chat),
        ["created"] = created,
        ["model"] = model,
        ["choices"] = Array.Empty<object>(),
        ["usage"] = Usage(results),
    };

    public static Dictionary<string, object?> Error(RequestException e) => new()
    {
        ["error"] = new Dictionary<string, object?> { ["message"] = e.Message, ["type"] = e.Type, ["param"] = e.Param, ["code"] = e.Code },
    };

    private static string ChunkObject(bool chat) => chat ? "chat.completion.chunk" : "text_completion";
}
