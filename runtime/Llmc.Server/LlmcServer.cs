using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Llmc.Runtime;
using Llmc.Runtime.Generation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Llmc.Server;

/// <summary>
/// The OpenAI-compatible server: <c>GET /health</c>, <c>GET /v1/models</c>, <c>POST /v1/chat/completions</c> and
/// <c>POST /v1/completions</c> (whole or streamed as server-sent events ending <c>data: [DONE]</c>) and <c>GET /metrics</c>
/// (Prometheus, <see cref="ServerMetrics"/>) over engines whose
/// schedulers batch every request. Errors are OpenAI's error JSON with their status; a client that disconnects
/// cancels its sequence, which frees its KV blocks.
/// </summary>
public static class LlmcServer
{
    /// <summary>The largest request body accepted (413 above it).</summary>
    public const long MaxBodyBytes = 4 << 20;

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="urls">Where Kestrel listens, e.g. <c>http://127.0.0.1:8080</c>.</param>
    /// <param name="apiKey">The bearer token every /v1 request must carry; null for none.</param>
    public static WebApplication Create(IReadOnlyList<ServedModel> models, string urls, string? apiKey)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBodyBytes);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var byName = models.ToDictionary(m => m.Name, StringComparer.Ordinal);
        var metrics = new ServerMetrics(models);
        app.Use(async (context, next) =>
        {
            try
            {
                if (context.Request.Path.StartsWithSegments("/v1") && apiKey is not null && !Authorized(context.Request, apiKey))
                    throw new RequestException(401, "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key");
                await next(context);
            }
            catch (RequestException e) when (!context.Response.HasStarted)
            {
                metrics.Refused(e.Status);
                await WriteError(context, e);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                metrics.Refused(e.StatusCode);
                await WriteError(context, new RequestException(e.StatusCode, e.Message));
            }
        });
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = models.Select(m => new { id = m.Name, @object = "model", created = 0, owned_by = "llmc" }),
        }));
        app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.WriteAsync(context.Response.Body, context.RequestAborted);
        });
        app.MapPost("/v1/chat/completions", context => Complete(context, byName, metrics, chat: true));
        app.MapPost("/v1/completions", context => Complete(context, byName, metrics, chat: false));
        return app;
    }

    private static bool Authorized(HttpRequest request, string apiKey)
    {
        var header = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.Ordinal)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[bearer.Length..]), Encoding.UTF8.GetBytes(apiKey));
    }

    private static async Task Complete(HttpContext context, Dictionary<string, ServedModel> models, ServerMetrics metrics, bool chat)
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
            int[] prompt;
            try
            {
                prompt = chat
                    ? (model.Chat ?? throw RequestException.BadParameter("messages", $"model '{model.Name}' has no chat template; use /v1/completions"))
                        .Encode(request.Messages!, [])
                    : model.Engine.Encode(request.Prompt!, request.Generation.AddBos);
            }
            catch (Runtime.Templates.TemplateException e)
            {
                throw RequestException.BadParameter("messages", $"the chat template refused the messages: {e.Message}");
            }
            if (prompt.Length >= model.Engine.Manifest.Plan.Context)
                throw RequestException.BadParameter(chat ? "messages" : "prompt", $"the prompt is {prompt.Length} tokens; model '{model.Name}' holds at most {model.Engine.Manifest.Plan.Context - 1}");
            var (id, created) = ((chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            var endpoint = chat ? "chat" : "completions";
            try
            {
                if (!request.Stream)
                {
                    var result = await model.Engine.GenerateTokensAsync(prompt, request.Generation, null, context.RequestAborted);
                    metrics.Finished(model.Name, endpoint, result);
                    await context.Response.WriteAsJsonAsync(OpenAiResponses.Completion(id, created, model.Name, chat, result), Json, context.RequestAborted);
                    return;
                }
                if (await Stream(context, model, prompt, request, id, created, chat) is { } streamed) metrics.Finished(model.Name, endpoint, streamed);
                else metrics.Cancelled(model.Name, endpoint);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away: its sequence was cancelled with it, and its KV blocks are free.
                metrics.Cancelled(model.Name, endpoint);
            }
        }
    }

    /// <summary>Streams the generation as server-sent events; its result, or null when the client went away.</summary>
    private static async Task<GenerationResult?> Stream(HttpContext context, ServedModel model, int[] prompt, OpenAiRequest request, string id, long created, bool chat)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var first = true;
        async Task Send(object payload)
        {
            await context.Response.WriteAsync($"data: {JsonSerializer.Serialize(payload, Json)}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
        GenerationResult? finished = null;
        try
        {
            await foreach (var update in model.Engine.StreamAsync(prompt, request.Generation, context.RequestAborted))
            {
                if (update.Result is { } result)
                {
                    finished = result;
                    await Send(OpenAiResponses.Chunk(id, created, model.Name, chat, null, OpenAiResponses.FinishReason(result), first));
                    if (request.IncludeUsage) await Send(OpenAiResponses.Chunk(id, created, model.Name, chat, null, null, false, OpenAiResponses.Usage(result)));
                }
                else
                {
                    await Send(OpenAiResponses.Chunk(id, created, model.Name, chat, update.Piece, null, first));
                    first = false;
                }
            }
            await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
            return finished;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return null;
        }
    }

    private static Task WriteError(HttpContext context, RequestException e)
    {
        context.Response.StatusCode = e.Status;
        return context.Response.WriteAsJsonAsync(OpenAiResponses.Error(e), Json);
    }
}
