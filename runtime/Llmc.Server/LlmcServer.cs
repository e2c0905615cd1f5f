using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Llmc.Server;

/// <summary>
/// The OpenAI-compatible server: the chat page at <c>/</c>, <c>GET /health</c>, <c>GET /v1/models</c>,
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c> (<see cref="CompletionHandler"/>) and
/// <c>GET /metrics</c> (Prometheus, <see cref="ServerMetrics"/>) over engines whose schedulers batch every request.
/// Errors are OpenAI's error JSON with their status. Shutdown drains: it stops accepting, lets running requests finish
/// within <see cref="ServerOptions.ShutdownTimeout"/>, then cancels the rest.
/// </summary>
public static class LlmcServer
{
    /// <summary>The largest request body accepted (413 above it).</summary>
    public const long MaxBodyBytes = 4 << 20;

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static WebApplication Create(IReadOnlyList<ServedModel> models, ServerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBodyBytes);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var metrics = new ServerMetrics(models);
        var completions = new CompletionHandler(models.ToDictionary(m => m.Name, StringComparer.Ordinal), metrics, Json);
        var stopping = app.Lifetime.ApplicationStopping;
        app.Use(async (context, next) =>
        {
            try
            {
                if (context.Request.Path.StartsWithSegments("/v1"))
                {
                    if (options.ApiKey is { } key && !Authorized(context.Request, key))
                        throw new RequestException(401, "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key");
                    if (stopping.IsCancellationRequested)
                        throw new RequestException(503, "the server is shutting down", type: "server_error", code: "shutting_down");
                }
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
        app.MapGet("/", () => Results.Content(ChatPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/health", () => stopping.IsCancellationRequested
            ? Results.Json(new { status = "draining" }, statusCode: 503)
            : Results.Ok(new { status = "ok" }));
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
        app.MapPost("/v1/chat/completions", context => completions.Handle(context, chat: true));
        app.MapPost("/v1/completions", context => completions.Handle(context, chat: false));
        return app;
    }

    private static bool Authorized(HttpRequest request, string apiKey)
    {
        var header = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.Ordinal)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[bearer.Length..]), Encoding.UTF8.GetBytes(apiKey));
    }

    private static Task WriteError(HttpContext context, RequestException e)
    {
        context.Response.StatusCode = e.Status;
        if (e.RetryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return context.Response.WriteAsJsonAsync(OpenAiResponses.Error(e), Json);
    }
}
