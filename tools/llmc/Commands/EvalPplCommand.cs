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
        var options = new EvalCliOptions();
        var command = new Command("ppl", "Perplexity of a text file (llama.cpp llama-perplexity protocol); --json prints {perplexity, chunks, tokens_scored}") { engine };
        options.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var (path, text) = options.ReadText(parse);
            var asJson = options.Json(parse);
            using var loaded = options.Load(parse, parse.GetRequiredValue(engine));
            var result = PerplexityEvaluator.Evaluate(loaded, text, path, options.Ctx(parse), asJson ? null : (chunk, running) =>
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
                    $"perplexity {result.Perplexity:F4} over {result.TokensScored} tokens in {result.Chunks} chunks of {options.Ctx(parse)}"));
            }
            return 0;
        }));
        return command;
    }
}
