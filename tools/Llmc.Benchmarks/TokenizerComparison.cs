using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Llmc.Runtime.Tokenization;

namespace Llmc.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tools/Llmc.Benchmarks -- compare-tokenizers</c>: llmc's tokenizer and
/// Microsoft.ML.Tokenizers on the Llama 3 tokenizer.json, side by side in one run: agreement with the expected
/// encodings (ids without special tokens), then the median of 7 encodes of ~100 KB of those texts each.
/// </summary>
public static class TokenizerComparison
{
    public static void Run()
    {
        var folder = SharedModels.Path("llama3-tokenizer");
        var ours = new Tokenizer(HfTokenizerImport.Load(folder));
        var theirs = MlTokenizersLlama3.Load(folder);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected-encodings.json")));
        var cases = expected.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => (Text: c.GetProperty("text").GetString()!, Ids: c.GetProperty("ids_no_special").EnumerateArray().Select(e => e.GetInt32()).ToArray())).ToList();
        int oursRight = cases.Count(c => ours.Encode(c.Text, addBos: false).SequenceEqual(c.Ids));
        int theirsRight = cases.Count(c => theirs.EncodeToIds(c.Text).SequenceEqual(c.Ids));
        Console.WriteLine($"expected encodings: llmc {oursRight}/{cases.Count}, Microsoft.ML.Tokenizers {theirsRight}/{cases.Count}");

        var text = new StringBuilder();
        for (var i = 0; text.Length < 100_000; i++) text.Append(cases[i % cases.Count].Text).Append(' ').Append(i).Append('\n');
        var input = text.ToString();
        Console.WriteLine($"same ids on {input.Length:N0} chars: {ours.Encode(input, addBos: false).SequenceEqual(theirs.EncodeToIds(input))}");
        var (oursMs, theirsMs) = (Median(() => ours.Encode(input, addBos: false)), Median(() => theirs.EncodeToIds(input)));
        Console.WriteLine($"encode 100 KB, median of 7: llmc {oursMs:F1} ms, Microsoft.ML.Tokenizers {theirsMs:F1} ms (ratio {theirsMs / oursMs:F2})");
    }

    private static double Median(Action encode)
    {
        encode();
        var times = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            var watch = Stopwatch.StartNew();
            encode();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        return times.Order().ElementAt(3);
    }
}
