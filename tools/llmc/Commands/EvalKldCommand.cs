using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Llmc.Runtime;
using Llmc.Runtime.Evaluation;

namespace Llmc.Cli.Commands;

/// <summary>
/// <c>llmc eval kld &lt;base&gt; &lt;other&gt; --file F --ctx N</c>: how far <c>other</c>'s next-token distributions are from
/// <c>base</c>'s on a text (llama.cpp's <c>llama-perplexity --kl-divergence</c>), to judge a quantization against its source.
/// </summary>
public static class EvalKldCommand
{
    public static Command Create()
    {
        var baseline = new Argument<string>("base") { Description = "The reference engine (e.g. f32)" };
        var other = new Argument<string>("other") { Description = "The engine to judge (e.g. q4), with the same vocabulary" };
        var file = new Option<string>("--file", "-f") { Description = "UTF-8 text to score", Required = true };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Tokens per chunk; the second half of each chunk is scored", DefaultValueFactory = _ => 512 };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of lines" };
        var command = new Command("kld", "KL divergence of one engine's next-token distributions from another's, top-1 agreement and both perplexities")
        {
            baseline, other, file, ctx, threads, json,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var path = parse.GetRequiredValue(file);
            if (!File.Exists(path)) throw new LlmcException($"{path}: no such file");
            var text = File.ReadAllText(path);
            var asJson = parse.GetValue(json);
            using var first = Engine.Load(parse.GetRequiredValue(baseline), parse.GetValue(threads));
            using var second = Engine.Load(parse.GetRequiredValue(other), parse.GetValue(threads));
            var r = KlDivergenceEvaluator.Evaluate(first, second, text, path, parse.GetValue(ctx), asJson ? null : (chunk, mean) =>
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{chunk}] mean KLD {mean:F6}")));
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["kld_mean"] = r.MeanKld,
                    ["kld_median"] = r.MedianKld,
                    ["kld_p99"] = r.P99Kld,
                    ["kld_max"] = r.MaxKld,
                    ["top1_agreement"] = r.TopOneAgreement,
                    ["perplexity_base"] = r.BasePerplexity,
                    ["perplexity_other"] = r.OtherPerplexity,
                    ["chunks"] = r.Chunks,
                    ["tokens_scored"] = r.TokensScored,
                }, CliJson.Options));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"KLD mean {r.MeanKld:F6}, median {r.MedianKld:F6}, p99 {r.P99Kld:F6}, max {r.MaxKld:F6}; same top token {100 * r.TopOneAgreement:F2} %; "
                    + $"perplexity {r.BasePerplexity:F4} -> {r.OtherPerplexity:F4} over {r.TokensScored} tokens in {r.Chunks} chunks of {parse.GetValue(ctx)}"));
            }
            return 0;
        }));
        return command;
    }
}
