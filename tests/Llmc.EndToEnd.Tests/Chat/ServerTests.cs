using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Llmc.Runtime.AI;
using Llmc.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace Llmc.EndToEnd.Tests.Chat;

/// <summary>
/// <c>llmc serve</c>'s server on loopback, driven by the official OpenAI .NET client and by raw HTTP: models, chat and
/// completions whole and streamed with greedy output equal to the engine's, usage, stop strings, and OpenAI errors
/// with their statuses for bad requests, keys and models.
/// </summary>
[Collection(ChatEngineCollection.Name)]
public sealed class ServerTests(ChatEngine chat) : IAsyncLifetime
{
    private const string Key = LoopbackServer.Key;
    private LoopbackServer _server = null!;
    private string _url = "";
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.Start([new ServedModel("chat", chat.Engine)]);
        (_url, _http) = (_server.Url, _server.Http);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ChatClient Client(string key = Key) =>
        new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(_url + "/v1") }).GetChatClient("chat");

    private static readonly ChatCompletionOptions Greedy = new() { Temperature = 0, MaxOutputTokenCount = 20 };

    private string InProcess(string question) =>
        chat.Engine.AsChatClient().GetResponseAsync(question, new ChatOptions { Temperature = 0, MaxOutputTokens = 20 }).GetAwaiter().GetResult().Text;

    [Fact]
    public async Task Chat_through_the_openai_client_equals_the_engine_in_process()
    {
        ChatCompletion completion = await Client().CompleteChatAsync([ChatMessage.CreateUserMessage("Tell me a story.")], Greedy);
        Assert.Equal(InProcess("Tell me a story."), completion.Content.Single().Text);
        Assert.Equal("chat", completion.Model);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task A_streamed_chat_adds_up_to_the_same_reply_with_usage_last()
    {
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([ChatMessage.CreateUserMessage("Tell me a story.")], Greedy))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }
        Assert.Equal(InProcess("Tell me a story."), text.ToString());
        Assert.NotNull(usage);
        Assert.NotNull(finish);
    }

    [Fact]
    public async Task Completions_continue_the_prompt_as_the_engine_does_and_stop_at_a_stop_string()
    {
        var expected = chat.Engine.Generate("Once upon a time", new Runtime.Generation.GenerationOptions { MaxTokens = 20, Sampling = Runtime.Generation.SamplingOptions.Greedy }).Text;
        using var doc = await Post("/v1/completions", """{"model": "chat", "prompt": "Once upon a time", "max_tokens": 20, "temperature": 0}""", HttpStatusCode.OK);
        Assert.Equal(expected, doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());

        var stop = expected.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
        using var stopped = await Post("/v1/completions", $$"""{"model": "chat", "prompt": "Once upon a time", "max_tokens": 20, "temperature": 0, "stop": ["{{stop}}"]}""", HttpStatusCode.OK);
        var choice = stopped.RootElement.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(expected[..expected.IndexOf(stop, StringComparison.Ordinal)], choice.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_frees_its_sequence_at_once()
    {
        const string body = """{"model": "chat", "prompt": "Once upon a time", "max_tokens": 400, "temperature": 0, "stream": true}""";
        var stepsBefore = chat.Engine.Scheduler.Steps;
        // No draining: disposing the response drops the connection, as a client that vanishes does.
        using var vanishing = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 });
        vanishing.DefaultRequestHeaders.Authorization = new("Bearer", Key);
        using (var request = new HttpRequestMessage(HttpMethod.Post, _url + "/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") })
        using (var response = await vanishing.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (chat.Engine.Scheduler is { } s && (s.Running > 0 || s.BlocksInUse > 0) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, chat.Engine.Scheduler.Running);
        Assert.Equal(0, chat.Engine.Scheduler.BlocksInUse);
        // The server counts the request once its handler has seen the cancellation, a moment after the scheduler.
        const string cancelled = "llmc_requests_total{model=\"chat\",endpoint=\"completions\",outcome=\"cancelled\"}";
        var metrics = await _http.GetStringAsync(_url + "/metrics");
        while (!metrics.Contains(cancelled, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            metrics = await _http.GetStringAsync(_url + "/metrics");
        }
        Assert.Equal(0, Metric(metrics, "llmc_kv_blocks_used{model=\"chat\"}"));
        Assert.Equal(1, Metric(metrics, cancelled));
        // Cancelled, not finished: far fewer steps ran than the 400 tokens asked for.
        var steps = chat.Engine.Scheduler.Steps - stepsBefore;
        Assert.True(steps < 300, $"{steps} steps ran after the client left");
    }

    [Fact]
    public async Task Microsoft_extensions_ai_over_http_equals_the_chat_client_in_process()
    {
        var client = new OpenAIClient(new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(_url + "/v1") }).GetChatClient("chat").AsIChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 20 };
        var overHttp = await client.GetResponseAsync("Tell me a story.", options);
        Assert.Equal(InProcess("Tell me a story."), overHttp.Text);
        Assert.True(overHttp.Usage!.OutputTokenCount > 0);
        var streamed = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("Tell me a story.", options)) streamed.Append(update.Text);
        Assert.Equal(overHttp.Text, streamed.ToString());
    }

    [Fact]
    public async Task Sixty_four_concurrent_streams_each_equal_their_single_run()
    {
        var prompts = Enumerable.Range(0, 64).Select(i => $"Story {i}: once").ToList();
        var alone = new List<string>();
        foreach (var p in prompts) alone.Add(chat.Engine.Generate(p, new Runtime.Generation.GenerationOptions { MaxTokens = 12, Sampling = Runtime.Generation.SamplingOptions.Greedy }).Text);
        var together = await Task.WhenAll(prompts.Select(async p =>
        {
            var body = JsonSerializer.Serialize(new { model = "chat", prompt = p, max_tokens = 12, temperature = 0, stream = true });
            using var request = new HttpRequestMessage(HttpMethod.Post, _url + "/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = new StringBuilder();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith("data: {", StringComparison.Ordinal)) continue;
                using var chunk = JsonDocument.Parse(line["data: ".Length..]);
                foreach (var choice in chunk.RootElement.GetProperty("choices").EnumerateArray()) text.Append(choice.GetProperty("text").GetString());
            }
            return text.ToString();
        }));
        Assert.Equal(alone, together);
    }

    [Fact]
    public async Task Metrics_count_requests_tokens_and_latencies_and_show_the_kv_pool()
    {
        using var done = await Post("/v1/completions", """{"model": "chat", "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0}""", HttpStatusCode.OK);
        var usage = done.RootElement.GetProperty("usage");
        (await Post("/v1/completions", """{"model": "gpt-4o", "prompt": "x"}""", HttpStatusCode.NotFound)).Dispose();
        var metrics = await _http.GetStringAsync(_url + "/metrics");
        Assert.Equal(1, Metric(metrics, "llmc_requests_total{model=\"chat\",endpoint=\"completions\",outcome=\"length\"}"));
        Assert.Equal(usage.GetProperty("completion_tokens").GetInt32(), Metric(metrics, "llmc_generated_tokens_total{model=\"chat\"}"));
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), Metric(metrics, "llmc_prompt_tokens_total{model=\"chat\"}"));
        Assert.Equal(1, Metric(metrics, "llmc_time_to_first_token_seconds_count{model=\"chat\"}"));
        Assert.Equal(1, Metric(metrics, "llmc_requests_refused_total{status=\"404\"}"));
        Assert.Equal(0, Metric(metrics, "llmc_sequences_running{model=\"chat\"}"));
        Assert.Equal(0, Metric(metrics, "llmc_kv_blocks_used{model=\"chat\"}"));
        var pool = Metric(metrics, "llmc_kv_blocks_free{model=\"chat\"}") + Metric(metrics, "llmc_kv_blocks_cached{model=\"chat\"}");
        Assert.Equal(chat.Engine.Scheduler.BlocksTotal, pool);
    }

    /// <summary>The value of one series in Prometheus' text format.</summary>
    private static double Metric(string text, string series)
    {
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no series {series} in:\n{text}");
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Models_and_health()
    {
        var client = new OpenAIClient(new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(_url + "/v1") });
        var models = await client.GetOpenAIModelClient().GetModelsAsync();
        Assert.Equal(["chat"], models.Value.Select(m => m.Id));
        using var health = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync(_url + "/health")).StatusCode);
    }

    [Theory]
    [InlineData("""{"model": "chat", "prompt": "x", "bogus": 1}""", "bogus", "unrecognized request argument supplied: bogus")]
    [InlineData("""{"model": "chat", "prompt": "x", "max_tokens": -5}""", "max_tokens", "'max_tokens' must be between 1 and")]
    [InlineData("""{"model": "chat", "prompt": "x", "max_tokens": "ten"}""", "max_tokens", "'max_tokens' must be an integer")]
    [InlineData("""{"model": "chat", "prompt": "x", "n": 17}""", "n", "'n' must be between 1 and 16")]
    [InlineData("""{"model": "chat", "prompt": "x", "logprobs": 6}""", "logprobs", "'logprobs' must be between 0 and 5")]
    [InlineData("""{"model": "chat", "prompt": "x", "presence_penalty": 2.5}""", "presence_penalty", "'presence_penalty' must be between -2 and 2")]
    [InlineData("""{"model": "chat", "prompt": [1, -3]}""", "prompt", "token ids must be non-negative integers")]
    [InlineData("""{"model": "chat", "prompt": [1, 99999]}""", "prompt", "token id 99999 is outside model 'chat''s vocabulary")]
    [InlineData("""{"model": "chat", "prompt": ["a", "b"]}""", "prompt", "a batch of several prompts is not supported yet")]
    [InlineData("""{"model": "chat", "prompt": "x", "ignore_eos": "yes"}""", "ignore_eos", "'ignore_eos' must be a boolean")]
    [InlineData("""{"model": "chat", "prompt": "x", "temperature": 7}""", "temperature", "'temperature' must be between 0 and 2")]
    [InlineData("""{"model": "chat", "prompt": 5}""", "prompt", "'prompt' must be a string or a non-empty array of token ids")]
    public async Task Bad_completion_parameters_are_400_naming_the_parameter(string body, string param, string message)
    {
        using var doc = await Post("/v1/completions", body, HttpStatusCode.BadRequest);
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("""{"model": "chat", "messages": []}""", "messages", "'messages' must not be empty")]
    [InlineData("""{"model": "chat", "messages": [{"role": "wizard", "content": "x"}]}""", "messages[0].role", "must be system, developer, user or assistant")]
    [InlineData("""{"model": "chat", "messages": [{"role": "user", "content": "x"}], "tools": []}""", "tools", "unrecognized request argument supplied: tools")]
    [InlineData("""{"model": "chat", "messages": [{"role": "user", "content": "x"}], "top_logprobs": 2}""", "top_logprobs", "'top_logprobs' requires 'logprobs' to be true")]
    [InlineData("""{"model": "chat", "messages": [{"role": "user", "content": "x"}], "logprobs": 3}""", "logprobs", "'logprobs' must be a boolean")]
    public async Task Bad_chat_requests_are_400_naming_the_parameter(string body, string param, string message)
    {
        using var doc = await Post("/v1/chat/completions", body, HttpStatusCode.BadRequest);
        Assert.Equal(param, doc.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains(message, doc.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_role_the_template_rejects_and_a_prompt_longer_than_the_context_are_400()
    {
        var gemmaPath = Path.Combine(chat.Folder, "gemma.llmc");
        Compiler.Build.EngineBuilder.Build(new Compiler.Build.BuildOptions
        {
            Source = StoriesEngines.Source,
            Target = Runtime.Devices.Cpu.CpuIsa.Avx2Target,
            Output = gemmaPath,
            ChatTemplate = Llmc.Tests.TestPaths.Model("chat-templates", "google-gemma-2-2b-it.jinja"),
        });
        using var gemma = Runtime.Engine.Load(gemmaPath);
        await using var server = await LoopbackServer.Start([new ServedModel("gemma", gemma)]);
        using var system = await server.Post("/v1/chat/completions", """{"model": "gemma", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}""", HttpStatusCode.BadRequest);
        Assert.Equal("the chat template refused the messages: System role not supported", system.RootElement.GetProperty("error").GetProperty("message").GetString());
        using var twice = await server.Post("/v1/chat/completions", """{"model": "gemma", "messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Hi"}]}""", HttpStatusCode.BadRequest);
        Assert.Contains("Conversation roles must alternate user/assistant/user/assistant/...", twice.RootElement.GetProperty("error").GetProperty("message").GetString());

        var context = chat.Engine.Context;
        var tooLong = JsonSerializer.Serialize(new { model = "chat", prompt = Enumerable.Repeat(5, context).ToArray() });
        using var completion = await Post("/v1/completions", tooLong, HttpStatusCode.BadRequest);
        Assert.Equal($"the prompt is {context} tokens; model 'chat' holds at most {context - 1}", completion.RootElement.GetProperty("error").GetProperty("message").GetString());
        var longChat = JsonSerializer.Serialize(new { model = "chat", messages = new[] { new { role = "user", content = string.Concat(Enumerable.Repeat("Once upon a time ", context)) } } });
        using var chatTooLong = await Post("/v1/chat/completions", longChat, HttpStatusCode.BadRequest);
        Assert.Equal("messages", chatTooLong.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains($"model 'chat' holds at most {context - 1}", chatTooLong.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Malformed_json_unknown_models_wrong_keys_and_huge_bodies_get_their_statuses()
    {
        (await Post("/v1/completions", "{not json", HttpStatusCode.BadRequest)).Dispose();
        using var missing = await Post("/v1/completions", """{"model": "gpt-4o", "prompt": "x"}""", HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", missing.RootElement.GetProperty("error").GetProperty("code").GetString());
        var wrong = await Assert.ThrowsAsync<ClientResultException>(() => Client("wrong-key").CompleteChatAsync([ChatMessage.CreateUserMessage("hi")]));
        Assert.Equal(401, wrong.Status);
        Assert.StartsWith("HTTP/1.1 413", await StatusLineForHugeBody());
        // The server still serves everyone else.
        ChatCompletion after = await Client().CompleteChatAsync([ChatMessage.CreateUserMessage("Tell me a story.")], Greedy);
        Assert.Equal(InProcess("Tell me a story."), after.Content.Single().Text);
    }

    /// <summary>
    /// The status line of a POST that declares a body over the limit (sent over a raw socket: an HTTP client would still
    /// be writing the body when the server answers and closes).
    /// </summary>
    private async Task<string> StatusLineForHugeBody()
    {
        var uri = new Uri(_url);
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(uri.Host, uri.Port);
        var stream = socket.GetStream();
        var head = $"POST /v1/completions HTTP/1.1\r\nHost: {uri.Authority}\r\nAuthorization: Bearer {Key}\r\nContent-Type: application/json\r\n"
            + $"Content-Length: {LlmcServer.MaxBodyBytes + 1}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync() ?? "";
    }

    private Task<JsonDocument> Post(string path, string body, HttpStatusCode expected) => _server.Post(path, body, expected);
}
