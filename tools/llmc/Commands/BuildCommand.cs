using System.CommandLine;
using System.Diagnostics;
using Llmc.Compiler.Build;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc build &lt;model&gt; --target T -o file</c>.</summary>
public static class BuildCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "HuggingFace model folder (config.json, *.safetensors, tokenizer.json)" };
        var target = new Option<string>("--target", "-t")
        {
            Description = $"Target to compile for: {string.Join(", ", TargetRegistry.Names)}",
            Required = true,
        };
        var output = new Option<string>("--output", "-o") { Description = "Engine file to write", Required = true };
        var context = new Option<int?>("--context") { Description = "KV cache length in tokens (default: the model's, at most 4096)" };
        var batch = new Option<int?>("--max-batch-tokens") { Description = "Most tokens per forward step (default: min(context, 512))" };
        var command = new Command("build", "Compile a model into an engine file") { model, target, output, context, batch };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var options = new BuildOptions
            {
                Source = parse.GetRequiredValue(model),
                Target = parse.GetRequiredValue(target),
                Output = parse.GetRequiredValue(output),
                Context = parse.GetValue(context),
                MaxBatchTokens = parse.GetValue(batch),
            };
            var clock = Stopwatch.StartNew();
            Progress.Show("building", p =>
            {
                EngineBuilder.Build(options, p);
                return 0;
            });
            Console.Error.WriteLine($"wrote {options.Output} ({new FileInfo(options.Output).Length:N0} bytes) in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }
}
