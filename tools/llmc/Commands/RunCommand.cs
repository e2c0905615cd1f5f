using System.CommandLine;
using System.Text.Json;
using Llmc.Runtime;
using Llmc.Runtime.Generation;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc run &lt;engine&gt; --prompt P</c>: streams the continuation, or prints one JSON object with <c>--json</c>.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var engine = new Argument<string>("engine") { Description = "Engine file built by llmc build" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "Text to continue", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Most tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float?>("--temperature") { Description = "Sampling temperature; 0 is greedy (default: the engine's)" };
        var topK = new Option<int?>("--top-k") { Description = "Keep the k most likely tokens; 0 keeps all" };
        var topP = new Option<float?>("--top-p") { Description = "Nucleus sampling threshold" };
        var minP = new Option<float?>("--min-p") { Description = "Drop tokens below min-p times the best one's probability" };
        var penalty = new Option<float?>("--repeat-penalty") { Description = "Repetition penalty; 1 is off" };
        var seed = new Option<int?>("--seed") { Description = "Random seed for reproducible sampling" };
        var stop = new Option<string[]>("--stop") { Description = "Stop when this text appears (repeatable)", AllowMultipleArgumentsPerToken = false };
        var noBos = new Option<bool>("--no-bos") { Description = "Do not prepend BOS to the prompt" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" };
        var device = new Option<int?>("--device") { Description = "GPU to run on, by its index in llmc devices (default: LLMC_VULKAN_DEVICE, else the best one)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with token ids, text and speed instead of streaming" };
        var pool = KvPoolCliOptions.ForSequences(1);
        var command = new Command("run", "Generate text from a prompt")
        {
            engine, prompt, maxTokens, temperature, topK, topP, minP, penalty, seed, stop, noBos, threads, device, json,
        };
        pool.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var loaded = Engine.Load(parse.GetRequiredValue(engine), new EngineOptions
            {
                Threads = parse.GetValue(threads),
                Device = parse.GetValue(device),
                KvPool = pool.Read(parse),
            });
            var defaults = loaded.DefaultSampling;
            var options = new GenerationOptions
            {
                MaxTokens = parse.GetValue(maxTokens),
                AddBos = parse.GetValue(noBos) ? false : null,
                StopStrings = parse.GetValue(stop) ?? [],
                Sampling = defaults with
                {
                    Temperature = parse.GetValue(temperature) ?? defaults.Temperature,
                    TopK = parse.GetValue(topK) ?? defaults.TopK,
                    TopP = parse.GetValue(topP) ?? defaults.TopP,
                    MinP = parse.GetValue(minP) ?? defaults.MinP,
                    RepetitionPenalty = parse.GetValue(penalty) ?? defaults.RepetitionPenalty,
                    Seed = parse.GetValue(seed),
                },
            };
            var asJson = parse.GetValue(json);
            var text = parse.GetValue(prompt) ?? "";
            // The prompt is echoed with the first piece, so a request refused before generating prints nothing.
            var echoed = asJson;
            void Echo()
            {
                if (!echoed) Console.Write(text);
                echoed = true;
            }
            var result = loaded.Generate(text, options, asJson ? null : piece =>
            {
                Echo();
                Console.Write(piece);
            });
            Echo();
            if (asJson) Console.WriteLine(JsonSerializer.Serialize(JsonReport(result), CliJson.Options));
            else Console.WriteLine();
            return 0;
        }));
        return command;
    }

    private static object JsonReport(GenerationResult r) => new Dictionary<string, object>
    {
        ["prompt_tokens"] = r.PromptTokens,
        ["tokens"] = r.Tokens,
        ["text"] = r.Text,
        ["finish_reason"] = r.FinishReason.ToString().ToLowerInvariant(),
        ["stats"] = new Dictionary<string, double>
        {
            ["prefill_tokens_per_s"] = Math.Round(r.Stats.PrefillTokensPerSecond, 2),
            ["decode_tokens_per_s"] = Math.Round(r.Stats.DecodeTokensPerSecond, 2),
        },
    };
}
