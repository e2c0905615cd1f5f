using System.Text.Json.Nodes;
using Llmc.Compiler.Build;
using Llmc.Compiler.Frontends;
using Llmc.Compiler.Models;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Runtime;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests;

/// <summary>
/// Whole models on every CPU target against the reference interpreter running the same graph: logits at every
/// position within a relative L2 error of 1e-5, for each architecture the frontend accepts.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class ModelConformanceTests(StoriesEngines engines) : IDisposable
{
    private const double Tolerance = 1e-5;
    private static readonly int[] Tokens = [1, 403, 407, 261, 378, 432, 383, 286, 261];

    private readonly string _dir = Directory.CreateTempSubdirectory("llmc-arch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [CpuTarget("cpu-avx2")]
    [CpuTarget("cpu-avx512")]
    public void Llama_logits_match_the_reference_interpreter(string target) =>
        AssertMatchesReference(StoriesEngines.Source, engines.For(target));

    [Fact]
    public void A_bf16_model_is_widened_to_the_f32_the_engine_declares_and_matches_the_reference()
    {
        var config = Path.Combine(_dir, "bf16.json");
        File.WriteAllText(config, """
            {"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,
             "num_attention_heads":4,"num_key_value_heads":2,"vocab_size":512,"max_position_embeddings":128,
             "rms_norm_eps":1e-5,"bos_token_id":1,"eos_token_id":2,"tie_word_embeddings":true}
            """);
        var folder = Path.Combine(_dir, "bf16");
        var synth = LlmcCli.Run("synth", "--config", config, "--dtype", "bf16", "--seed", "3", "-o", folder);
        Assert.True(synth.ExitCode == 0, synth.Stderr);
        var engine = Path.Combine(_dir, "bf16.llmc");
        EngineBuilder.Build(new BuildOptions { Source = folder, Target = "cpu-avx2", Output = engine });
        AssertMatchesReference(folder, engine);
    }

    [Fact]
    public void The_imported_graph_verifies_and_round_trips_through_text()
    {
        using var model = HfModelFolder.Open(StoriesEngines.Source);
        var graph = ModelImport.Import(model, 64).Graph;
        var text = Printer.Print(graph);
        var parsed = Parser.Parse(text, "stories.ir");
        Verifier.Verify(parsed);
        Assert.Equal(text, Printer.Print(parsed));
    }

    private static void AssertMatchesReference(string folder, string enginePath)
    {
        using var engine = Engine.Load(enginePath);
        var actual = engine.Logits(Tokens);
        var expected = ReferenceLogits(folder, engine.Context);
        Assert.Equal(expected.Length, actual.Length);
        Assert.DoesNotContain(actual, float.IsNaN);
        double err = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            err += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        var relative = Math.Sqrt(err / norm);
        Assert.True(relative < Tolerance, $"relative L2 error {relative:E2} >= {Tolerance:E0}");
    }

    private static float[] ReferenceLogits(string folder, int context)
    {
        using var model = HfModelFolder.Open(folder);
        var (graph, weights) = ModelImport.Import(model, context);
        var inputs = KvBlockTable.AddOneBlock(new Dictionary<string, HostTensor>
        {
            ["tokens"] = new([Tokens.Length], Tokens),
            ["positions"] = new([Tokens.Length], Enumerable.Range(0, Tokens.Length).ToArray()),
            ["logit_rows"] = new([Tokens.Length], Enumerable.Range(0, Tokens.Length).ToArray()),
        }, Tokens.Length);
        var outputs = ReferenceInterpreter.Run(graph, inputs, weights.ReadHost, new Dictionary<string, HostTensor>(), KvBlockTable.OneBlockPool(context));
        return outputs["logits"].Floats;
    }
}
