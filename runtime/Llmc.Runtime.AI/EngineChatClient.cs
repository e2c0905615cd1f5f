using System.Runtime.CompilerServices;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Templates;
using Microsoft.Extensions.AI;

namespace Llmc.Runtime.AI;

/// <summary>
/// An engine as a <see cref="IChatClient"/>: messages go through the engine's chat template (with its special tokens),
/// the prompt joins the engine's batch with every other caller's, and the reply comes back whole or streamed, with
/// usage (prompt, cached prompt and output tokens) and the finish reason. The engine stays the caller's to dispose.
/// </summary>
public sealed class EngineChatClient : IChatClient
{
    private readonly Engine _engine;
    private readonly ChatPrompt _prompt;
    private readonly ChatClientMetadata _metadata;

    /// <exception cref="LlmcException">The engine has no chat template.</exception>
    public EngineChatClient(Engine engine)
    {
        _engine = engine;
        _prompt = new ChatPrompt(engine);
        _metadata = new ChatClientMetadata("llmc", defaultModelId: engine.Manifest.Model.Name);
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (prompt, generation) = Prepare(messages, options);
        var result = await _engine.GenerateTokensAsync(prompt, generation, null, cancellationToken).ConfigureAwait(false);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Text))
        {
            ResponseId = Guid.NewGuid().ToString("N"),
            ModelId = _metadata.DefaultModelId,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = FinishReasonOf(result),
            Usage = UsageOf(result),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (prompt, generation) = Prepare(messages, options);
        var (responseId, created) = (Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow);
        await foreach (var update in _engine.StreamAsync(prompt, generation, cancellationToken).ConfigureAwait(false))
        {
            var chunk = update.Result is { } result
                ? new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(UsageOf(result))]) { FinishReason = FinishReasonOf(result) }
                : new ChatResponseUpdate(ChatRole.Assistant, update.Piece);
            chunk.ResponseId = responseId;
            chunk.MessageId = responseId;
            chunk.CreatedAt = created;
            chunk.ModelId = _metadata.DefaultModelId;
            yield return chunk;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(_engine) ? _engine
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <summary>Nothing to release: the engine belongs to whoever loaded it.</summary>
    public void Dispose()
    {
    }

    /// <summary>The prompt's token ids (the template's rendering, encoded as is) and the generation options.</summary>
    private (int[] Prompt, GenerationOptions Options) Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.ModelId is { } model && model != _metadata.DefaultModelId)
            throw new ArgumentException($"this client serves model '{_metadata.DefaultModelId}', not '{model}'");
        var generation = ChatOptionsMapping.ToGeneration(options, _engine);
        var conversation = new List<(string, string)>();
        if (options?.Instructions is { Length: > 0 } instructions) conversation.Add(("system", instructions));
        foreach (var message in messages) conversation.Add((message.Role.Value, TextOf(message)));
        return (_prompt.Encode(conversation, ChatOptionsMapping.TemplateVariables(options)), generation);
    }

    private static string TextOf(ChatMessage message)
    {
        foreach (var content in message.Contents)
            if (content is not TextContent)
                throw new NotSupportedException($"llmc chat messages hold text only; this one has {content.GetType().Name}");
        return message.Text;
    }

    private static ChatFinishReason FinishReasonOf(GenerationResult result) => result.FinishReason switch
    {
        FinishReason.Length => ChatFinishReason.Length,
        _ => ChatFinishReason.Stop,
    };

    private static UsageDetails UsageOf(GenerationResult result) => new()
    {
        InputTokenCount = result.Stats.PromptTokens,
        CachedInputTokenCount = result.Stats.CachedPromptTokens,
        OutputTokenCount = result.Stats.GeneratedTokens,
        TotalTokenCount = result.Stats.PromptTokens + result.Stats.GeneratedTokens,
    };
}
