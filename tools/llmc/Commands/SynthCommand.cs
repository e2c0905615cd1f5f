using System.CommandLine;
using System.Diagnostics;
using Llmc.Compiler.Synth;
using Llmc.Ir;
using Llmc.Runtime;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc synth --config C -o folder</c>: a random-weight HuggingFace model, for benchmarks and tests without real weights.</summary>
public static class SynthCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Llama-family config.json", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "Weight dtype: bf16, f16 or f32", DefaultValueFactory = _ => "bf16" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed; the same seed writes the same weights", DefaultValueFactory = _ => 0 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json to copy (default: generate a byte-level one of vocab_size tokens)" };
        var output = new Option<string>("--output", "-o") { Description = "Folder to write", Required = true };
        var command = new Command("synth", "Write a HuggingFace model folder with random weights for a config") { config, dtype, seed, tokenizer, output };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var options = new SynthOptions
            {
                ConfigPath = parse.GetRequiredValue(config),
                Output = parse.GetRequiredValue(output),
                DType = ParseDType(parse.GetValue(dtype) ?? "bf16"),
                Seed = parse.GetValue(seed),
                TokenizerPath = parse.GetValue(tokenizer),
            };
            var clock = Stopwatch.StartNew();
            Progress.Show("synthesising", p =>
            {
                RandomModelWriter.Write(options, p);
                return 0;
            });
            Console.Error.WriteLine($"wrote {options.Output} in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }

    private static DType ParseDType(string name) => name switch
    {
        "bf16" => DType.BF16,
        "f16" => DType.F16,
        "f32" => DType.F32,
        _ => throw new LlmcException($"--dtype must be bf16, f16 or f32, not '{name}'"),
    };
}
