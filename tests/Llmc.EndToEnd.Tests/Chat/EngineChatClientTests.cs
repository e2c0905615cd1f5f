using Llmc.Runtime;
using Llmc.Runtime.AI;
using Llmc.Runtime.Generation;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Llmc.EndToEnd.Tests.Chat;

/// <summary>
/// <c>engine.AsChatClient()</c>: messages through the engine's chat template, replies equal to generating from the
/// rendered prompt, streamed or whole, with usage; options llmc does not implement are refused by name.
/// </summary>
[Collection(ChatEngineCollection.Name)]
public sealed class EngineChatClientTests(ChatEngine chat)
{
    private static readonly ChatOptions Greedy = new() { Temperature = 0, MaxOutputTokens = 24 };

    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.User, "Tell me a story about a cat."),
        new(ChatRole.Assistant, "Once upon a time, there was a cat."),
        new(ChatRole.User, "What did the cat do?"),
    ];

    /// <summary>What the engine generates greedily from Phi-3.5's rendering of <see cref="Conversation"/>, written out here.</summary>
    private GenerationResult Expected()
    {
        const string prompt = "<|user|>\nTell me a story about a cat.<|end|>\n<|assistant|>\nOnce upon a time, there was a cat.<|end|>\n"
            + "<|user|>\nWhat did the cat do?<|end|>\n<|assistant|>\n";
        return chat.Engine.Generate(chat.Engine.Encode(prompt, addBos: false), new GenerationOptions { MaxTokens = 24, Sampling = SamplingOptions.Greedy, AddBos = false });
    }

    [Fact]
    public async Task A_reply_is_what_the_engine_generates_from_the_rendered_prompt()
    {
        var expected = Expected();
        var response = await chat.Engine.AsChatClient().GetResponseAsync(Conversation, Greedy);
        Assert.Equal(expected.Text, response.Text);
        Assert.NotEmpty(response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal(expected.PromptTokens.Length, response.Usage!.InputTokenCount);
        Assert.Equal(expected.Tokens.Length, response.Usage.OutputTokenCount);
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.Equal(expected.FinishReason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("stories260k-hf", response.ModelId);
    }

    [Fact]
    public async Task A_stream_adds_up_to_the_reply_and_ends_with_usage_and_the_finish_reason()
    {
        var client = chat.Engine.AsChatClient();
        var whole = await client.GetResponseAsync(Conversation, Greedy);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Conversation, Greedy)) updates.Add(update);
        Assert.True(updates.Count > 2, $"{updates.Count} updates");
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        var last = updates[^1];
        Assert.Equal(whole.FinishReason, last.FinishReason);
        Assert.Equal(whole.Usage!.OutputTokenCount, last.Contents.OfType<UsageContent>().Single().Details.OutputTokenCount);
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
    }

    [Fact]
    public async Task Concurrent_chats_get_the_replies_they_get_alone()
    {
        var client = chat.Engine.AsChatClient();
        var questions = Enumerable.Range(0, 6).Select(i => new[] { new ChatMessage(ChatRole.User, $"Story number {i}, please.") }).ToList();
        var alone = new List<string>();
        foreach (var q in questions) alone.Add((await client.GetResponseAsync(q, Greedy)).Text);
        var together = await Task.WhenAll(questions.Select(q => client.GetResponseAsync(q, Greedy)));
        Assert.Equal(alone, together.Select(r => r.Text));
    }

    [Fact]
    public async Task Instructions_become_a_system_message_the_template_renders()
    {
        // Phi-3.5's template renders system messages like any other role: the prompt (and so the reply) changes.
        var client = chat.Engine.AsChatClient();
        var plain = await client.GetResponseAsync(Conversation, Greedy);
        var instructed = await client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 24, Instructions = "Be brief." });
        Assert.True(instructed.Usage!.InputTokenCount > plain.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task Presence_and_frequency_penalties_reach_the_sampler()
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 24, PresencePenalty = 1.5f, FrequencyPenalty = 0.5f };
        var reply = await chat.Engine.AsChatClient().GetResponseAsync(Conversation, options);
        var expected = chat.Engine.Generate(new Runtime.Templates.ChatPrompt(chat.Engine).Encode(Conversation.Select(m => (m.Role.Value, m.Text)).ToList(), []),
            new Runtime.Generation.GenerationOptions { MaxTokens = 24, Sampling = Runtime.Generation.SamplingOptions.Greedy with { PresencePenalty = 1.5f, FrequencyPenalty = 0.5f } });
        Assert.Equal(expected.Text, reply.Text);
        Assert.NotEqual((await chat.Engine.AsChatClient().GetResponseAsync(Conversation, Greedy)).Text, reply.Text);
    }

    [Theory]
    [InlineData("Tools")]
    [InlineData("ResponseFormat")]
    [InlineData("ConversationId")]
    public async Task Options_llmc_does_not_implement_are_refused_by_name(string option)
    {
        var options = new ChatOptions();
        switch (option)
        {
            case "Tools": options.Tools = [AIFunctionFactory.Create(() => 1, "one")]; break;
            case "ResponseFormat": options.ResponseFormat = ChatResponseFormat.Json; break;
            case "ConversationId": options.ConversationId = "c1"; break;
        }
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => chat.Engine.AsChatClient().GetResponseAsync(Conversation, options));
        Assert.Equal($"ChatOptions.{option} is not supported by llmc yet", error.Message);
    }

    [Fact]
    public async Task Non_text_content_and_another_model_are_refused()
    {
        var client = chat.Engine.AsChatClient();
        var image = new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2, 3 }, "image/png")]);
        await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([image]));
        var other = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Conversation, new ChatOptions { ModelId = "gpt-4o" }));
        Assert.Contains("not 'gpt-4o'", other.Message);
    }

    [Fact]
    public void An_engine_without_a_chat_template_cannot_be_a_chat_client()
    {
        using var stories = new StoriesEngines();
        using var plain = Engine.Load(stories.For(Runtime.Devices.Cpu.CpuIsa.Avx2Target));
        var error = Assert.Throws<LlmcException>(() => plain.AsChatClient());
        Assert.Contains("the engine has no chat template (build it with --chat-template FILE)", error.Message);
    }

    [Fact]
    public async Task Dependency_injection_registers_the_engine_and_its_chat_client()
    {
        var services = new ServiceCollection();
        services.AddLlmcChatClient(chat.Path);
        Engine engine;
        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<IChatClient>();
            var response = await client.GetResponseAsync(Conversation, Greedy);
            Assert.Equal(Expected().Text, response.Text);
            engine = provider.GetRequiredService<Engine>();
            Assert.Same(engine, client.GetService<Engine>());
        }
        // The container owns the engine it loaded: disposing it released the engine.
        Assert.ThrowsAny<Exception>(() => engine.Generate([1], new GenerationOptions { MaxTokens = 1 }));
    }
}
