using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Llmc.Runtime.Generation;
using Llmc.Server;
using OpenAI;
using OpenAI.Chat;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace Llmc.EndToEnd.Tests.Chat;

/// <summary>
/// The server's sampling parameters against the engine in process: <c>n</c> choices (whole and streamed), presence and
/// frequency penalties, and log-probabilities in chat's and the legacy completions' shapes, checked against the
/// log-softmax of the engine's own logits.
/// </summary>
[Collection(ChatEngineCollection.Name)]
public sealed class ServerSamplingTests(ChatEngine chat) : IAsyncLifetime
{
    private const string Prompt = "Once upon a time";
    private LoopbackServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackServer.Start([new ServedModel("chat", chat.Engine)]);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string InProcess(GenerationOptions options) => chat.Engine.Generate(Prompt, options).Text;

    private static readonly SamplingOptions Seeded = new() { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 11 };

    [Fact]
    public async Task N_choices_are_seed_plus_index_runs_whole_and_streamed()
    {
        const string body = """{"model": "chat", "prompt": "Once upon a time", "max_tokens": 16, "temperature": 1, "top_k": 0, "top_p": 1, "min_p": 0, "seed": 11, "n": 3}""";
        using var whole = await _server.Post("/v1/completions", body, HttpStatusCode.OK);
        var choices = whole.RootElement.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], choices.Select(c => c.GetProperty("index").GetInt32()));
        var alone = Enumerable.Range(0, 3).Select(i => chat.Engine.Generate(Prompt, new GenerationOptions { MaxTokens = 16, Sampling = Seeded with { Seed = 11 + i } })).ToList();
        var expected = alone.Select(r => r.Text).ToList();
        Assert.Equal(expected, choices.Select(c => c.GetProperty("text").GetString()));
        Assert.True(expected.Distinct().Count() > 1, "different seeds sample different stories");
        var usage = whole.RootElement.GetProperty("usage");
        Assert.Equal(alone.Sum(r => r.Tokens.Length), usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(alone[0].PromptTokens.Length, usage.GetProperty("prompt_tokens").GetInt32());

        var streamed = Enumerable.Range(0, 3).Select(_ => new StringBuilder()).ToArray();
        var finishes = 0;
        foreach (var data in await _server.Events("/v1/completions", body[..^1] + """, "stream": true}"""))
        {
            if (data == "[DONE]") continue;
            using var chunk = JsonDocument.Parse(data);
            foreach (var choice in chunk.RootElement.GetProperty("choices").EnumerateArray())
            {
                streamed[choice.GetProperty("index").GetInt32()].Append(choice.GetProperty("text").GetString());
                if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String) finishes++;
            }
        }
        Assert.Equal(expected, streamed.Select(s => s.ToString()));
        Assert.Equal(3, finishes);
    }

    [Theory]
    [InlineData("presence_penalty", 1.5f)]
    [InlineData("frequency_penalty", 0.7f)]
    public async Task Penalties_give_what_the_engine_gives_with_them(string penalty, float value)
    {
        var body = $$"""{"model": "chat", "prompt": "{{Prompt}}", "max_tokens": 40, "temperature": 0, "{{penalty}}": {{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""";
        using var doc = await _server.Post("/v1/completions", body, HttpStatusCode.OK);
        var sampling = penalty == "presence_penalty" ? SamplingOptions.Greedy with { PresencePenalty = value } : SamplingOptions.Greedy with { FrequencyPenalty = value };
        var penalized = InProcess(new GenerationOptions { MaxTokens = 40, Sampling = sampling });
        Assert.Equal(penalized, doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.NotEqual(InProcess(new GenerationOptions { MaxTokens = 40, Sampling = SamplingOptions.Greedy }), penalized);
    }

    [Fact]
    public async Task Chat_logprobs_through_the_openai_client_are_the_log_softmax_of_the_engines_logits()
    {
        var client = new OpenAIClient(new ApiKeyCredential(LoopbackServer.Key), new OpenAIClientOptions { Endpoint = new Uri(_server.Url + "/v1") }).GetChatClient("chat");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };
        ChatCompletion completion = await client.CompleteChatAsync([ChatMessage.CreateUserMessage("Tell me a story.")], options);
        var tokens = completion.ContentTokenLogProbabilities;
        Assert.Equal(completion.Usage.OutputTokenCount, tokens.Count);

        var prompt = new Runtime.Templates.ChatPrompt(chat.Engine).Encode([("user", "Tell me a story.")], []);
        var generated = chat.Engine.Generate(prompt, new GenerationOptions { MaxTokens = 12, Sampling = SamplingOptions.Greedy }).Tokens;
        var logits = chat.Engine.Logits([.. prompt, .. generated[..^1]]);
        var vocab = chat.Engine.Tokenizer.VocabSize;
        for (var i = 0; i < tokens.Count; i++)
        {
            var row = logits.AsSpan((prompt.Length - 1 + i) * vocab, vocab).ToArray();
            var logZ = Math.Log(row.Sum(x => Math.Exp(x)));
            Assert.Equal(row[generated[i]] - logZ, tokens[i].LogProbability, 1e-3);
            Assert.Equal(chat.Engine.Tokenizer.BytesOf(generated[i]).ToArray(), tokens[i].Utf8Bytes!.Value.ToArray());
            Assert.Equal(3, tokens[i].TopLogProbabilities.Count);
            // Greedy: the token is the most likely one, and the alternatives come most likely first.
            Assert.Equal(tokens[i].LogProbability, tokens[i].TopLogProbabilities[0].LogProbability);
            Assert.True(tokens[i].TopLogProbabilities[1].LogProbability <= tokens[i].TopLogProbabilities[0].LogProbability);
        }
    }

    [Fact]
    public async Task Completion_logprobs_stream_in_the_legacy_shape_and_match_the_whole_answer()
    {
        const string body = """{"model": "chat", "prompt": "Once upon a time", "max_tokens": 10, "temperature": 0, "logprobs": 2}""";
        using var whole = await _server.Post("/v1/completions", body, HttpStatusCode.OK);
        var logprobs = whole.RootElement.GetProperty("choices")[0].GetProperty("logprobs");
        var tokens = logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.Equal(whole.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), tokens.Count);
        Assert.Equal(whole.RootElement.GetProperty("choices")[0].GetProperty("text").GetString(), string.Concat(tokens));
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToList();
        Assert.Equal(tokens.Select((_, i) => tokens.Take(i).Sum(t => t.Length)), offsets);
        foreach (var top in logprobs.GetProperty("top_logprobs").EnumerateArray()) Assert.InRange(top.EnumerateObject().Count(), 1, 2);

        var streamedTokens = new List<string>();
        var streamedLogprobs = new List<double>();
        foreach (var data in await _server.Events("/v1/completions", body[..^1] + """, "stream": true}"""))
        {
            if (data == "[DONE]") continue;
            using var chunk = JsonDocument.Parse(data);
            var part = chunk.RootElement.GetProperty("choices")[0].GetProperty("logprobs");
            if (part.ValueKind == JsonValueKind.Null) continue;
            streamedTokens.AddRange(part.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!));
            streamedLogprobs.AddRange(part.GetProperty("token_logprobs").EnumerateArray().Select(l => l.GetDouble()));
        }
        Assert.Equal(tokens, streamedTokens);
        Assert.Equal(logprobs.GetProperty("token_logprobs").EnumerateArray().Select(l => l.GetDouble()), streamedLogprobs);
    }
}
