using System.CommandLine;
using System.Diagnostics;
using Llmc.Compiler.Build;
using Llmc.Compiler.Passes;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc build &lt;model&gt; --target T -o file</c>.</summary>
public static class BuildCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("model")
        {
            Description = "HuggingFace model folder (config.json, *.safetensors, tokenizer.json)",
            Arity = ArgumentArity.ZeroOrOne, // so that --passes list needs no model
        };
        var target = new Option<string>("--target", "-t")
        {
            Description = $"Target to compile for (required): {string.Join(", ", TargetRegistry.Names)}",
        };
        var output = new Option<string>("--output", "-o") { Description = "Engine file to write (required)" };
        var context = new Option<int?>("--context") { Description = "KV cache length in tokens (default: the model's, at most 4096)" };
        var batch = new Option<int?>("--max-batch-tokens") { Description = "Most tokens per forward step (default: min(context, 512))" };
        var passes = new Option<string?>("--passes")
        {
            Description = "Comma-separated passes to run instead of the default pipeline ('' for none), or 'list' to show them",
        };
        var noFuse = new Option<bool>("--no-fuse") { Description = "Leave out the fusion passes (one kernel per op)" };
        var quant = new Option<string>("--quant")
        {
            Description = $"How linear weights are stored: {string.Join(", ", WeightQuantization.Names)} (default f32)",
            DefaultValueFactory = _ => "f32",
        };
        var groupSize = new Option<int>("--group-size")
        {
            Description = $"Weights per quantization group: {string.Join(", ", Ir.Quantization.QuantFormat.GroupSizes)} (default {WeightQuantization.DefaultGroupSize})",
            DefaultValueFactory = _ => WeightQuantization.DefaultGroupSize,
        };
        var kvCache = new Option<string>("--kv-cache")
        {
            Description = $"How the KV cache is stored: {string.Join(", ", KvCacheStorage.Names)} (default {KvCacheStorage.Default}; int8 keeps one f32 scale per position and kv head)",
            DefaultValueFactory = _ => KvCacheStorage.Default,
        };
        var chatTemplate = new Option<string?>("--chat-template") { Description = "A Jinja chat template file that sets or replaces the model's own" };
        var command = new Command("build", "Compile a model into an engine file") { model, target, output, context, batch, passes, noFuse, quant, groupSize, kvCache, chatTemplate };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var passList = parse.GetValue(passes);
            if (passList == "list")
            {
                Console.WriteLine($"default pipeline: {string.Join(", ", Pipeline.Default.Passes)}");
                foreach (var p in PassRegistry.All) Console.WriteLine($"  {p.Name,-12} {p.Description}");
                return 0;
            }
            var options = new BuildOptions
            {
                Source = parse.GetValue(model) ?? throw new Runtime.LlmcException("build needs a model folder"),
                Target = parse.GetValue(target) ?? throw new Runtime.LlmcException("build needs --target"),
                Output = parse.GetValue(output) ?? throw new Runtime.LlmcException("build needs -o <engine file>"),
                Context = parse.GetValue(context),
                MaxBatchTokens = parse.GetValue(batch),
                Pipeline = WithoutFusionIf(parse.GetValue(noFuse), passList is null ? Pipeline.Default : PipelineOf(passList)),
                Quant = parse.GetValue(quant)!,
                GroupSize = parse.GetValue(groupSize),
                KvCache = parse.GetValue(kvCache)!,
                ChatTemplate = parse.GetValue(chatTemplate),
            };
            WeightQuantization.Parse(options.Quant, options.GroupSize); // bad values fail here, before any work
            KvCacheStorage.Parse(options.KvCache);
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

    private static Pipeline WithoutFusionIf(bool noFuse, Pipeline pipeline) => noFuse ? pipeline.WithoutFusion() : pipeline;

    private static Pipeline PipelineOf(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var n in names) PassRegistry.Get(n); // unknown names fail here, before any work
        return new Pipeline("custom", names);
    }
}
