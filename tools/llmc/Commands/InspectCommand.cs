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
        Row("weights", r.WeightDType);
        Row("tensors", $"{r.TensorCount} ({r.TensorBytes:N0} bytes)");
        Row("context", $"{r.Context} tokens, {r.MaxBatchTokens} per step");
        Row("plan", $"{r.PlanSteps} kernel launches per step, {r.Kernels.Count} distinct kernels");
        Row("built by", $"llmc {r.LlmcVersion}{(r.GitSha is null ? "" : " (" + r.GitSha[..Math.Min(12, r.GitSha.Length)] + ")")} at {r.CreatedUtc:u}");
        foreach (var s in r.Sources) Row("source", $"{s.Name} {s.Bytes:N0} bytes sha256 {s.Sha256[..16]}…");
        console.Write(grid);
        var table = new Table().AddColumns("kernel", "template", "format", "section", "launches");
        foreach (var k in r.Kernels) table.AddRow(Markup.Escape(k.Name), k.Template, k.Format, Markup.Escape(k.Section), k.Launches.ToString());
        console.Write(table);
        var sections = new Table().AddColumns("code section", "bytes");
        foreach (var s in r.CodeSections) sections.AddRow(Markup.Escape(s.Name), s.Bytes.ToString("N0"));
        console.Write(sections);
    }
}
