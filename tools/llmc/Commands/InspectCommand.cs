using System.CommandLine;
using System.Text.Json;
using Llmc.Runtime.Format;
using Spectre.Console;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc inspect &lt;engine&gt;</c>: what an engine holds, without running it.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var engine = new Argument<string>("engine") { Description = "Engine file" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("inspect", "Describe an engine file") { engine, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var file = EngineFile.Open(parse.GetRequiredValue(engine));
            var report = EngineReport.Of(file);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, EngineJson.Options));
            else Print(report);
            return 0;
        }));
        return command;
    }

    private static void Print(EngineReport r)
    {
        var console = AnsiConsole.Console;
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string k, string v) => grid.AddRow(new Text(k, new Style(decoration: Decoration.Bold)), new Text(v));
        Row("model", r.Model);
        Row("architecture", r.Architecture);
        Row("target", r.Target);
        Row("weights", $"{r.WeightDType}, {r.TensorCount} tensors, {r.WeightBytes:N0} bytes");
        Row("activations", $"{r.PeakActivationBytes:N0} bytes at peak (one arena, reused by lifetime)");
        Row("kv cache", $"{r.KvCache}, {r.KvBytesPerToken:N0} bytes per token, {r.Context} tokens");
        Row("batch", $"{r.MaxBatchTokens} tokens per step");
        Row("plan", $"{r.DecodeLaunchesPerToken} kernel launches per decode token, {r.Kernels.Select(k => k.Name).Distinct().Count()} distinct kernels");
        if (r.DecodeWorkgroupsPerToken is { } decode)
            Row("workgroups", $"{decode:N0} launched per decode token, {r.PrefillWorkgroups:N0} per {r.PrefillRows}-token prefill step");
        Row("built by", $"llmc {r.LlmcVersion}{(r.GitSha is null ? "" : " (" + r.GitSha[..Math.Min(12, r.GitSha.Length)] + ")")} at {r.CreatedUtc:u}");
        foreach (var s in r.Sources) Row("source", $"{s.Name} {s.Bytes:N0} bytes sha256 {s.Sha256[..16]}…");
        console.Write(grid);
        // One row per kernel, listing every code it is compiled to; a section's size is shown where it holds that kernel alone.
        var table = new Table().AddColumns("kernel", "template", "launches", "code");
        foreach (var kernel in r.Kernels.GroupBy(k => k.Name))
        {
            var codes = kernel.Select(k => (r.CodeSections.First(s => s.Name == k.Section).Kernels == 1
                ? $"{k.Format} {k.Section} ({k.SectionBytes:N0} bytes)"
                : $"{k.Format} {k.Section}") + (k.MinRows > 0 ? $", for steps of {k.MinRows}+ rows" : "")
                + (k.MinRows > 0 && !k.SameRounding ? ", rounds rows apart from the other code (not run with --batch-invariant)" : ""));
            var first = kernel.First();
            table.AddRow(Markup.Escape(first.Name), Markup.Escape(first.Template), first.Launches.ToString(), Markup.Escape(string.Join("\n", codes)));
        }
        console.Write(table);
        var sections = new Table().AddColumns("code section", "format", "kernels", "bytes");
        foreach (var s in r.CodeSections) sections.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Format), s.Kernels.ToString(), s.Bytes.ToString("N0"));
        console.Write(sections);
    }
}
