using System.CommandLine;
using Llmc.Runtime;
using Llmc.Runtime.AI;
using Microsoft.Extensions.AI;

namespace Llmc.Cli.Commands;

/// <summary>
/// <c>llmc chat &lt;engine&gt;</c>: an interactive chat in the terminal through the engine's chat template, replies
/// streamed, the conversation kept as history. Lines starting with <c>/</c> are commands: <c>/reset</c>,
/// <c>/system TEXT</c>, <c>/exit</c> (end of input exits too).
/// </summary>
public static class ChatCommand
{
    private const string Help = "commands: /reset (forget the conversation), /system TEXT (set the system message and reset), /exit";

    public static Command Create()
    {
        var engine = new Argument<string>("engine") { Description = "Engine file with a chat template (llmc build --chat-template FILE sets one)" };
        var system = new Option<string?>("--system") { Description = "System message to start with" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Most tokens per reply", DefaultValueFactory = _ => 512 };
        var temperature = new Option<float?>("--temperature") { Description = "Sampling temperature; 0 is greedy (default: the engine's)" };
        var seed = new Option<int?>("--seed") { Description = "Random seed for reproducible sampling" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" };
        var device = new Option<int?>("--device") { Description = "GPU to run on, by its index in llmc devices" };
        var pool = KvPoolCliOptions.ForSequences(1);
        var command = new Command("chat", "Chat with a model in the terminal") { engine, system, maxTokens, temperature, seed, threads, device };
        pool.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            if (parse.GetValue(maxTokens) <= 0) throw new LlmcException($"--max-tokens must be positive, not {parse.GetValue(maxTokens)}");
            using var loaded = Engine.Load(parse.GetRequiredValue(engine), new EngineOptions
            {
                Threads = parse.GetValue(threads),
                Device = parse.GetValue(device),
                KvPool = pool.Read(parse),
            });
            var client = loaded.AsChatClient();
            var options = new ChatOptions { MaxOutputTokens = parse.GetValue(maxTokens), Temperature = parse.GetValue(temperature), Seed = parse.GetValue(seed) };
            var conversation = new Conversation(parse.GetValue(system));
            Console.Error.WriteLine($"chatting with {loaded.Manifest.Model.Name}; {Help}");
            while (true)
            {
                Console.Error.Write("> ");
                var line = Console.ReadLine();
                if (line is null || line.Trim() == "/exit") return 0;
                if (conversation.Command(line) is { } said)
                {
                    Console.Error.WriteLine(said);
                    continue;
                }
                conversation.Add(new ChatMessage(ChatRole.User, line));
                var reply = new System.Text.StringBuilder();
                foreach (var update in client.GetStreamingResponseAsync(conversation.Messages, options).ToBlockingEnumerable())
                {
                    Console.Write(update.Text);
                    reply.Append(update.Text);
                }
                Console.WriteLine();
                conversation.Add(new ChatMessage(ChatRole.Assistant, reply.ToString()));
            }
        }));
        return command;
    }

    /// <summary>The messages so far, after the system message if there is one.</summary>
    private sealed class Conversation(string? system)
    {
        private readonly List<ChatMessage> _messages = [];
        private string? _system = system;

        public IReadOnlyList<ChatMessage> Messages => _system is null ? _messages : [new ChatMessage(ChatRole.System, _system), .. _messages];

        public void Add(ChatMessage message) => _messages.Add(message);

        /// <summary>Carries out a /command and says what it did; null when the line is not a command.</summary>
        public string? Command(string line)
        {
            if (!line.StartsWith('/')) return null;
            var (name, argument) = line.IndexOf(' ') is var space and > 0 ? (line[..space], line[(space + 1)..].Trim()) : (line.Trim(), "");
            switch (name)
            {
                case "/reset":
                    _messages.Clear();
                    return "(conversation reset)";
                case "/system":
                    _system = argument.Length > 0 ? argument : null;
                    _messages.Clear();
                    return _system is null ? "(system message removed; conversation reset)" : "(system message set; conversation reset)";
                default:
                    return $"unknown command '{name}'; {Help}";
            }
        }
    }
}
