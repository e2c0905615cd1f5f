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
        var options = new EvalCliOptions();
        var command = new Command("kld", "KL divergence of one engine's next-token distributions from another's, top-1 agreement and both perplexities")
        {
            baseline, other,
        };
        options.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var (path, text) = options.ReadText(parse);
            var asJson = options.Json(parse);
            using var first = options.Load(parse, parse.GetRequiredValue(baseline));
            using var second = options.Load(parse, parse.GetRequiredValue(other));
            var r = KlDivergenceEvaluator.Evaluate(first, second, text, path, options.Ctx(parse), asJson ? null : (chunk, mean) =>
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
                    + $"perplexity {r.BasePerplexity:F4} -> {r.OtherPerplexity:F4} over {r.TokensScored} tokens in {r.Chunks} chunks of {options.Ctx(parse)}"));
            }
            return 0;
        }));
        return command;
    }
}
