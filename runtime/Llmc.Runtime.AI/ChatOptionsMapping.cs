using Llmc.Runtime.Generation;
using Microsoft.Extensions.AI;

namespace Llmc.Runtime.AI;

/// <summary>
/// <see cref="ChatOptions"/> as llmc generation options: temperature, top-p, top-k, presence and frequency penalties,
/// max output tokens, seed and stop sequences map to sampling; additional properties become chat-template variables
/// (e.g. <c>enable_thinking</c>). An option llmc does not implement (tools, response formats, conversations,
/// reasoning) is refused by name, never dropped.
/// </summary>
public static class ChatOptionsMapping
{
    public static GenerationOptions ToGeneration(ChatOptions? options, Engine engine)
    {
        var defaults = engine.DefaultSampling;
        if (options is null) return new GenerationOptions { Sampling = defaults, AddBos = false };
        Refuse(options);
        var sampling = defaults with
        {
            Temperature = options.Temperature ?? defaults.Temperature,
            TopP = options.TopP ?? defaults.TopP,
            TopK = options.TopK ?? defaults.TopK,
            PresencePenalty = options.PresencePenalty ?? defaults.PresencePenalty,
            FrequencyPenalty = options.FrequencyPenalty ?? defaults.FrequencyPenalty,
            Seed = options.Seed is { } seed ? checked((int)seed) : defaults.Seed,
        };
        sampling.Validate();
        if (options.MaxOutputTokens is <= 0) throw new ArgumentException($"ChatOptions.MaxOutputTokens must be positive, not {options.MaxOutputTokens}");
        return new GenerationOptions
        {
            Sampling = sampling,
            MaxTokens = options.MaxOutputTokens ?? new GenerationOptions().MaxTokens,
            StopStrings = options.StopSequences is { } stops ? [.. stops] : [],
            // The chat template writes the BOS token itself where the model wants one.
            AddBos = false,
        };
    }

    /// <summary>The request's extra template variables (<see cref="ChatOptions.AdditionalProperties"/>).</summary>
    public static IEnumerable<(string Name, object? Value)> TemplateVariables(ChatOptions? options) =>
        options?.AdditionalProperties?.Select(p => (p.Key, TemplateValue(p.Key, p.Value))) ?? [];

    private static object? TemplateValue(string name, object? value) => value switch
    {
        null or bool or string => value,
        int i => (long)i,
        long l => l,
        float f => (double)f,
        double d => d,
        System.Text.Json.JsonElement e => Templates.TemplateJson.FromJson(e),
        _ => throw new NotSupportedException($"ChatOptions.AdditionalProperties['{name}'] is a {value.GetType().Name}; template variables are strings, numbers, booleans or JSON"),
    };

    private static void Refuse(ChatOptions options)
    {
        static void No(bool set, string option)
        {
            if (set) throw new NotSupportedException($"ChatOptions.{option} is not supported by llmc yet");
        }
        No(options.Tools is { Count: > 0 }, nameof(options.Tools));
        No(options.ToolMode is not null && options.ToolMode is not NoneChatToolMode, nameof(options.ToolMode));
        No(options.AllowMultipleToolCalls is not null, nameof(options.AllowMultipleToolCalls));
        No(options.ResponseFormat is not null and not ChatResponseFormatText, nameof(options.ResponseFormat));
        No(options.ConversationId is not null, nameof(options.ConversationId));
        No(options.ContinuationToken is not null, nameof(options.ContinuationToken));
        No(options.AllowBackgroundResponses is true, nameof(options.AllowBackgroundResponses));
        No(options.Reasoning is not null, nameof(options.Reasoning));
        No(options.RawRepresentationFactory is not null, nameof(options.RawRepresentationFactory));
    }
}
