using Llmc.Runtime.AI;
using Microsoft.Extensions.AI;

namespace Llmc.EndToEnd.Tests.Chat;

/// <summary><c>llmc chat</c> driven through standard input: replies streamed through the template, history, /reset, /system, /exit.</summary>
[Collection(ChatEngineCollection.Name)]
public sealed class ChatCliTests(ChatEngine chat)
{
    private static readonly ChatOptions Greedy = new() { Temperature = 0, MaxOutputTokens = 16 };

    private string Reply(params ChatMessage[] messages) => chat.Engine.AsChatClient().GetResponseAsync(messages, Greedy).GetAwaiter().GetResult().Text;

    /// <summary>What stdout holds for these replies: each streamed, then a newline.</summary>
    private static string Printed(params string[] replies) => string.Concat(replies.Select(r => r + "\n"));

    [Fact]
    public void Each_line_gets_the_reply_of_the_conversation_so_far_and_reset_forgets_it()
    {
        var result = LlmcCli.RunWithInput("Hi.\nAnd then?\n/reset\nHi.\n/exit\n", "chat", chat.Path, "--temperature", "0", "--max-tokens", "16");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var first = Reply(new ChatMessage(ChatRole.User, "Hi."));
        var second = Reply(new ChatMessage(ChatRole.User, "Hi."), new ChatMessage(ChatRole.Assistant, first), new ChatMessage(ChatRole.User, "And then?"));
        Assert.Equal(Printed(first, second, first), result.Stdout);
        Assert.Contains("(conversation reset)", result.Stderr);
    }

    [Fact]
    public void System_sets_the_system_message_and_end_of_input_exits()
    {
        var result = LlmcCli.RunWithInput("/system Be brief.\nHi.\n", "chat", chat.Path, "--temperature", "0", "--max-tokens", "16");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(Printed(Reply(new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hi."))), result.Stdout);
        Assert.Contains("(system message set; conversation reset)", result.Stderr);
    }

    [Fact]
    public void Unknown_commands_are_named_and_bad_arguments_fail_before_anything_is_printed()
    {
        var unknown = LlmcCli.RunWithInput("/quit\n", "chat", chat.Path);
        Assert.Equal(0, unknown.ExitCode);
        Assert.Contains("unknown command '/quit'", unknown.Stderr);

        var bad = LlmcCli.Run("chat", chat.Path, "--max-tokens", "0");
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal("error: --max-tokens must be positive, not 0", Assert.Single(bad.StderrLines));
        Assert.Equal("", bad.Stdout);
    }

    [Fact]
    public void An_engine_without_a_template_is_one_line()
    {
        using var stories = new StoriesEngines();
        var result = LlmcCli.RunWithInput("Hi.\n", "chat", stories.For(Runtime.Devices.Cpu.CpuIsa.Avx2Target));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the engine has no chat template (build it with --chat-template FILE)", Assert.Single(result.StderrLines));
    }
}
