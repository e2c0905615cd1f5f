using System.Net;
using System.Text.Json;
using Llmc.Compiler.Build;
using Llmc.Runtime;
using Llmc.Runtime.Generation;
using Llmc.Server;

namespace Llmc.EndToEnd.Tests.Chat;

/// <summary>
/// The server under load and at its edges: a full queue answers 429 with Retry-After, shutdown drains running
/// requests within its deadline and cancels those past it, and several engines are served side by side by name.
/// </summary>
[Collection(ChatEngineCollection.Name)]
public sealed class ServerLoadTests(ChatEngine chat)
{
    private const string Long = """{"model": "chat", "prompt": "Once upon a time", "max_tokens": 400, "temperature": 0, "ignore_eos": true, "stream": true""";

    [Fact]
    public async Task A_full_queue_is_refused_with_429_and_retry_after_while_the_running_request_goes_on()
    {
        // No queue: the engine's running sequences are all the model lets in, and one request holds every one of them.
        await using var server = await LoopbackServer.Start([new ServedModel("chat", chat.Engine, maxQueue: 0)]);
        var slots = chat.Engine.MaxSequences;
        using var holder = await server.Open("/v1/completions", Long + $$""", "n": {{slots}}}""");
        Assert.Equal(HttpStatusCode.OK, holder.StatusCode);
        using var reader = new StreamReader(await holder.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: {", await reader.ReadLineAsync());

        using var refused = await server.Http.PostAsync(server.Url + "/v1/completions", Body("""{"model": "chat", "prompt": "x", "max_tokens": 4}"""));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("queue_full", error.RootElement.GetProperty("error").GetProperty("code").GetString());

        // The holder still streams to its end.
        var rest = await reader.ReadToEndAsync();
        Assert.EndsWith("data: [DONE]\n\n", rest);
        using var after = await server.Post("/v1/completions", """{"model": "chat", "prompt": "x", "max_tokens": 4}""", HttpStatusCode.OK);
    }

    [Fact]
    public async Task Shutdown_lets_a_running_stream_finish_within_the_deadline()
    {
        var server = await LoopbackServer.Start([new ServedModel("chat", chat.Engine)], shutdownTimeout: TimeSpan.FromSeconds(60));
        using var response = await server.Open("/v1/completions", Long.Replace("400", "60", StringComparison.Ordinal) + "}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: {", await reader.ReadLineAsync());
        var stopping = server.App.StopAsync();
        var rest = await reader.ReadToEndAsync();
        await stopping;
        Assert.Contains("\"finish_reason\":\"length\"", rest);
        Assert.EndsWith("data: [DONE]\n\n", rest);
        await server.App.DisposeAsync();
    }

    [Fact]
    public async Task Shutdown_past_its_deadline_cancels_the_running_stream_and_frees_its_blocks()
    {
        var server = await LoopbackServer.Start([new ServedModel("chat", chat.Engine)], shutdownTimeout: TimeSpan.Zero);
        var response = await server.Open("/v1/completions", Long + "}");
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: {", await reader.ReadLineAsync());
        await server.App.StopAsync();
        var rest = "";
        try
        {
            rest = await reader.ReadToEndAsync();
        }
        catch (IOException)
        {
            // The server aborted the connection: the stream ends without [DONE].
        }
        Assert.DoesNotContain("[DONE]", rest);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (chat.Engine.Scheduler.BlocksInUse > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, chat.Engine.Scheduler.BlocksInUse);
        response.Dispose();
        await server.App.DisposeAsync();
    }

    [Fact]
    public async Task Two_engines_are_served_side_by_side_by_model_name()
    {
        var q4Path = Path.Combine(chat.Folder, "stories-q4.llmc");
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = Runtime.Devices.Cpu.CpuIsa.Avx2Target, Output = q4Path, Quant = "q4" });
        using var q4 = Engine.Load(q4Path);
        await using var server = await LoopbackServer.Start([new ServedModel("chat", chat.Engine), new ServedModel(ServedModel.NameOf(q4Path), q4)]);
        using var models = await server.Http.GetAsync(server.Url + "/v1/models");
        using var list = JsonDocument.Parse(await models.Content.ReadAsStringAsync());
        Assert.Equal(["chat", "stories-q4"], list.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));

        var greedy = new GenerationOptions { MaxTokens = 30, Sampling = SamplingOptions.Greedy };
        foreach (var (name, engine) in new[] { ("chat", chat.Engine), ("stories-q4", q4) })
        {
            using var doc = await server.Post("/v1/completions", $$"""{"model": "{{name}}", "prompt": "Once upon a time", "max_tokens": 30, "temperature": 0}""", HttpStatusCode.OK);
            Assert.Equal(engine.Generate("Once upon a time", greedy).Text, doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
            Assert.Equal(name, doc.RootElement.GetProperty("model").GetString());
        }
        Assert.NotEqual(chat.Engine.Logits(chat.Engine.Encode("Once upon a time")), q4.Logits(q4.Encode("Once upon a time")));
        // Only one of them has a chat template.
        using var noTemplate = await server.Post("/v1/chat/completions", """{"model": "stories-q4", "messages": [{"role": "user", "content": "hi"}]}""", HttpStatusCode.BadRequest);
        Assert.Contains("has no chat template", noTemplate.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    private static StringContent Body(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
