using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Llmc.Runtime;
using Llmc.Runtime.Evaluation;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc eval ppl &lt;engine&gt; --file F --ctx N</c>: perplexity of a text file by llama.cpp's protocol.</summary>
public static class EvalPplCommand
{
    public static Command Create()
    {
        var engine = new Argument<string>("engine") { Description = "Engine file built by llmc build" };
        var file = new Option<string>("--file", "-f") { Description = "UTF-8 text to score", Required = true };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Tokens per chunk; the second half of each chunk is scored", DefaultValueFactory = _ => 512 };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {perplexity, chunks, tokens_scored}" };
        var command = new Command("ppl", "Perplexity of a text file (llama.cpp llama-perplexity protocol)") { engine, file, ctx, threads, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var path = parse.GetRequiredValue(file);
            if (!File.Exists(path)) throw new LlmcException($"{path}: no such file");
            var text = File.ReadAllText(path);
            var asJson = parse.GetValue(json);
            using var loaded = Engine.Load(parse.GetRequiredValue(engine), parse.GetValue(threads));
            var result = PerplexityEvaluator.Evaluate(loaded, text, path, parse.GetValue(ctx), asJson ? null : (chunk, running) =>
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{chunk}] {running:F4}")));
            if (asJson)
            {
                var report = new Dictionary<string, object>
                {
                    ["perplexity"] = result.Perplexity,
                    ["chunks"] = result.Chunks,
                    ["tokens_scored"] = result.TokensScored,
                };
                Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Options));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"perplexity {result.Perplexity:F4} over {result.TokensScored} tokens in {result.Chunks} chunks of {parse.GetValue(ctx)}"));
            }
            return 0;
        }));
        return command;
    }
}
