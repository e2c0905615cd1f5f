using System.Text.Json;
using System.Threading.Channels;
using Llmc.Runtime;
using Llmc.Runtime.Generation;
using Microsoft.AspNetCore.Http;

namespace Llmc.Server;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c>: checks the request, lets its <c>n</c> sequences in
/// through the model's <see cref="AdmissionGate"/> (429 when the queue is full), queues them on the engine's scheduler
/// and answers whole or as server-sent events. A client that goes away cancels its sequences.
/// </summary>
internal sealed class CompletionHandler(IReadOnlyDictionary<string, ServedModel> models, ServerMetrics metrics, JsonSerializerOptions json)
{
    /// <summary>What a refused request is told to wait before trying again.</summary>
    public const int RetryAfterSeconds = 1;

    public async Task Handle(HttpContext context, bool chat)
    {
        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException e)
        {
            throw new RequestException(400, $"the request body is not valid JSON: {e.Message}");
        }
        using (body)
        {
            var model = body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String
                && models.TryGetValue(m.GetString()!, out var found) ? found : null;
            var request = OpenAiRequest.Parse(body.RootElement, chat, model?.Engine.DefaultSampling ?? new SamplingOptions());
            if (model is null) throw new RequestException(404, $"The model '{request.Model}' does not exist", "model", code: "model_not_found");
            request.Generation.Sampling.Validate();
            var prompt = Prompt(model, request, chat);
            if (!model.Admission.TryEnter(request.Choices))
                throw new RequestException(429, $"model '{model.Name}' has {model.Admission.Capacity} sequences running or queued; retry later", type: "rate_limit_exceeded",
                    code: "queue_full") { RetryAfterSeconds = RetryAfterSeconds };
            try
            {
                await Respond(context, model, request, prompt, chat);
            }
            finally
            {
                model.Admission.Exit(request.Choices);
            }
        }
    }

    private static int[] Prompt(ServedModel model, OpenAiRequest request, bool chat)
    {
        var param = chat ? "messages" : "prompt";
        int[] prompt;
        try
        {
            prompt = chat
                ? (model.Chat ?? throw RequestException.BadParameter("messages", $"model '{model.Name}' has no chat template; use /v1/completions")).Encode(request.Messages!, [])
                : request.PromptTokens ?? model.Engine.Encode(request.Prompt!, request.Generation.AddBos);
        }
        catch (Runtime.Templates.TemplateException e)
        {
            throw RequestException.BadParameter("messages", $"the chat template refused the messages: {e.Message}");
        }
        if (prompt.Length == 0) throw RequestException.BadParameter(param, "the prompt is empty (no tokens and no BOS)");
        if (prompt.Length >= model.Engine.Context)
            throw RequestException.BadParameter(param, $"the prompt is {prompt.Length} tokens; model '{model.Name}' holds at most {model.Engine.Context - 1}");
        if (prompt.FirstOrDefault(id => id >= model.Engine.Tokenizer.VocabSize, -1) is var outside and >= 0)
            throw RequestException.BadParameter(param, $"token id {outside} is outside model '{model.Name}''s vocabulary of {model.Engine.Tokenizer.VocabSize}");
        return prompt;
    }

    private async Task Respond(HttpContext context, ServedModel model, OpenAiRequest request, int[] prompt, bool chat)
    {
        var (id, created) = ((chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var endpoint = chat ? "chat" : "completions";
        var aborted = context.RequestAborted;
        var updates = Channel.CreateUnbounded<(int Choice, GenerationUpdate Update)>(new UnboundedChannelOptions { SingleReader = true });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var runs = new Task<GenerationResult>[request.Choices];
        try
        {
            for (var i = 0; i < runs.Length; i++)
            {
                var choice = i;
                runs[i] = model.Engine.Submit(prompt, request.GenerationFor(i), request.Stream ? u => updates.Writer.TryWrite((choice, u)) : null, cancel.Token);
            }
        }
        catch (LlmcException e)
        {
            await cancel.CancelAsync();
            throw RequestException.BadParameter(chat ? "messages" : "prompt", e.Message);
        }
        try
        {
            GenerationResult[] results;
            if (request.Stream)
            {
                results = await Stream(context, model, request, runs, updates, id, created, chat);
            }
            else
            {
                results = await Task.WhenAll(runs);
                aborted.ThrowIfCancellationRequested();
                await context.Response.WriteAsJsonAsync(OpenAiResponses.Completion(id, created, model.Name, chat, results, model.Engine.Tokenizer), json, aborted);
            }
            metrics.Finished(model.Name, endpoint, results);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away (or shutdown's deadline passed): its sequences were cancelled with it, their KV blocks are free.
            await cancel.CancelAsync();
            metrics.Cancelled(model.Name, endpoint);
        }
    }

    /// <summary>Streams every choice's pieces as server-sent events as they come, each choice's finish, the usage when asked for, then <c>[DONE]</c>.</summary>
    private async Task<GenerationResult[]> Stream(HttpContext context, ServedModel model, OpenAiRequest request, Task<GenerationResult>[] runs,
        Channel<(int Choice, GenerationUpdate Update)> updates, string id, long created, bool chat)
    {
        var aborted = context.RequestAborted;
        // A choice's result follows its last piece: the scheduler writes the pieces before it completes the task.
        var finished = runs.Select((run, i) => run.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) updates.Writer.TryWrite((i, new GenerationUpdate(null, t.Result)));
            else updates.Writer.TryComplete(t.Exception?.InnerException ?? new OperationCanceledException());
        }, TaskScheduler.Default));
        _ = Task.WhenAll(finished).ContinueWith(_ => updates.Writer.TryComplete(), TaskScheduler.Default);

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var first = Enumerable.Repeat(true, runs.Length).ToArray();
        var offsets = new int[runs.Length];
        var results = new GenerationResult[runs.Length];
        var tokenizer = model.Engine.Tokenizer;
        await foreach (var (choice, update) in updates.Reader.ReadAllAsync(aborted))
        {
            if (update.Result is { } result)
            {
                results[choice] = result;
                await Send(context, OpenAiResponses.Chunk(id, created, model.Name, chat, choice, null, null, OpenAiResponses.FinishReason(result), first[choice]));
                continue;
            }
            object? logprobs = update.Logprobs is not { } l ? null : chat ? OpenAiLogprobs.Chat(l, tokenizer) : OpenAiLogprobs.Completion(l, tokenizer, ref offsets[choice]);
            await Send(context, OpenAiResponses.Chunk(id, created, model.Name, chat, choice, update.Piece, logprobs, null, first[choice]));
            first[choice] = false;
        }
        aborted.ThrowIfCancellationRequested();
        if (request.IncludeUsage) await Send(context, OpenAiResponses.UsageChunk(id, created, model.Name, chat, results));
        await context.Response.WriteAsync("data: [DONE]\n\n", aborted);
        return results;
    }

    private async Task Send(HttpContext context, object payload)
    {
        await context.Response.WriteAsync($"data: {JsonSerializer.Serialize(payload, json)}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }
}
