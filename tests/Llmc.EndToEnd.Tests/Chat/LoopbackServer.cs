using System.Net;
using System.Text;
using System.Text.Json;
using Llmc.Server;
using Microsoft.AspNetCore.Builder;

namespace Llmc.EndToEnd.Tests.Chat;

/// <summary><see cref="LlmcServer"/> on a free loopback port with an API key, and an HTTP client that carries the key.</summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    public const string Key = "test-key";

    private LoopbackServer(WebApplication app)
    {
        App = app;
        Url = app.Urls.Single();
        Http.DefaultRequestHeaders.Authorization = new("Bearer", Key);
    }

    public WebApplication App { get; }

    public string Url { get; }

    public HttpClient Http { get; } = new();

    /// <summary>
    /// Starts the server; with <paramref name="eventPace"/>, every response waits that long before each flush
    /// (<see cref="PacedFlushStream"/>).
    /// </summary>
    public static async Task<LoopbackServer> Start(IReadOnlyList<ServedModel> models, TimeSpan? shutdownTimeout = null, TimeSpan? eventPace = null)
    {
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", ApiKey = Key };
        var app = LlmcServer.Create(models, shutdownTimeout is { } timeout ? options with { ShutdownTimeout = timeout } : options);
        if (eventPace is { } pace)
            app.Use((context, next) =>
            {
                context.Response.Body = new PacedFlushStream(context.Response.Body, pace);
                return next(context);
            });
        await app.StartAsync();
        return new LoopbackServer(app);
    }

    /// <summary>POSTs <paramref name="body"/> and returns the JSON answer, which must come with status <paramref name="expected"/>.</summary>
    public async Task<JsonDocument> Post(string path, string body, HttpStatusCode expected)
    {
        using var response = await Http.PostAsync(Url + path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text);
    }

    /// <summary>Starts a streamed request and returns once its headers are in; the caller reads the events.</summary>
    public async Task<HttpResponseMessage> Open(string path, string body, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url + path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", Key);
        return await (client ?? Http).SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>Every <c>data:</c> payload of a streamed request, the closing <c>[DONE]</c> included.</summary>
    public async Task<List<string>> Events(string path, string body)
    {
        using var response = await Open(path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(line["data: ".Length..]);
        return events;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
