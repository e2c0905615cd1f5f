using Llmc.Compiler.Passes;
using Llmc.Compiler.Passes.Fusion;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Targets.Cpu;
using Llmc.Tests;

namespace Llmc.Compiler.Tests.Passes;

/// <summary>
/// Each fusion pass on a two-layer GQA Llama graph: golden before/after IR, the verifier after it, idempotence;
/// the whole fused pipeline computes what the unfused graph computes (reference interpreter, random weights);
/// a target without the fused kernels keeps the graph as it is.
/// </summary>
[Collection(PassManagerCollection.Name)]
public sealed class FusionPassTests
{
    private const string Before = "tests/Llmc.Ir.Tests/Fixtures/llama_two_layer_gqa.ir";
    private const string GoldenFolder = "tests/Llmc.Compiler.Tests/Golden/fusion";

    public static TheoryData<string> PassNames => new(FusionPasses.Names);

    [Theory]
    [MemberData(nameof(PassNames))]
    public void Each_pass_matches_its_golden_output_and_verifies(string pass)
    {
        var (graph, context) = Setup();
        Assert.True(PassRegistry.Get(pass).Run(graph, context));
        Verifier.Verify(graph);
        Golden.AssertMatches(Printer.Print(graph), $"{GoldenFolder}/{pass}.after.ir");
    }

    [Theory]
    [MemberData(nameof(PassNames))]
    public void Each_pass_reports_no_change_the_second_time(string pass)
    {
        var (graph, context) = Setup();
        PassRegistry.Get(pass).Run(graph, context);
        var text = Printer.Print(graph);
        Assert.False(PassRegistry.Get(pass).Run(graph, context));
        Assert.Equal(text, Printer.Print(graph));
    }

    [Fact]
    public void The_default_pipeline_fuses_a_layer_into_five_kernels_and_round_trips()
    {
        var (graph, context) = Setup();
        var changed = PassManager.Run(graph, Pipeline.Default, context, verify: true);
        Assert.Equal(["fuse-qkv-rope", "fuse-gated-mlp", "fuse-rms-norm", "fuse-residual"], changed.Where(p => p != "dce"));
        var text = Printer.Print(graph);
        Golden.AssertMatches(text, $"{GoldenFolder}/default.after.ir");
        Assert.Equal(text, Printer.Print(Parser.Parse(text, "default.after.ir")));
        // Per layer: rms_norm_linear (QKV), attention_rope, linear_residual (o), rms_norm_linear_swiglu, linear_residual (down);
        // then embedding, gather_rows and the head with the final norm.
        Assert.Equal(2 * 5 + 3, graph.Nodes.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("q8")]
    [InlineData("q4")]
    public void The_fused_graph_computes_what_the_unfused_one_does(string? quant)
    {
        var format = quant is null ? null : new QuantFormat(quant == "q8" ? QuantScheme.Q8 : QuantScheme.Q4, 32);
        var (unfused, unfusedContext) = Setup(format);
        var (fused, fusedContext) = Setup(format);
        var pipeline = format is null ? Pipeline.Default : Pipeline.Default.WithQuantization();
        PassManager.Run(unfused, pipeline.WithoutFusion(), unfusedContext, verify: true);
        PassManager.Run(fused, pipeline, fusedContext, verify: true);
        var expected = Logits(unfused, unfusedContext);
        var actual = Logits(fused, fusedContext);
        // Stacked weights are quantized row by row as their parts were, so even quantized graphs agree to rounding.
        var error = Math.Sqrt(expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Sum() / expected.Sum(e => (double)e * e));
        Assert.True(error < 1e-6, $"relative L2 error {error:E3} between the fused and unfused graph");
    }

    [Fact]
    public void Quantization_runs_after_fusion_and_packs_the_stacked_weights()
    {
        var (graph, context) = Setup(new QuantFormat(QuantScheme.Q8, 32));
        var pipeline = Pipeline.Default.WithQuantization();
        Assert.Equal([.. FusionPasses.Names, QuantizeWeights.PassName, "dce"], pipeline.Passes);
        PassManager.Run(graph, pipeline, context, verify: true);
        Assert.Equal(DType.Q8G32, graph.Find("model.layers.0.self_attn.qkv_proj.weight.q8g32").Type.DType);
        Assert.Equal(DType.Q8G32, graph.Find("model.layers.1.mlp.gate_up_proj.weight.q8g32").Type.DType);
        Assert.Equal(["dce"], Pipeline.Default.WithoutFusion().Passes);
    }

    [Fact]
    public void A_target_without_the_fused_kernels_keeps_the_unfused_graph()
    {
        var fusedOps = Ir.OpRegistry.All.Select(op => op.Name).Where(name => !new[] { "embedding", "rms_norm", "linear", "rope", "attention", "silu", "mul", "add", "gather_rows" }.Contains(name)).ToHashSet();
        var templates = CpuTemplates.Default.Where(t => !fusedOps.Contains(t.Key)).ToDictionary(t => t.Key, t => t.Value);
        var (graph, context) = Setup();
        context = context with { Target = new CpuTarget(CpuDialect.Avx2, templates) };
        var text = Printer.Print(graph);
        foreach (var pass in FusionPasses.All) Assert.False(pass.Run(graph, context), pass.Name);
        Assert.Equal(text, Printer.Print(graph));
    }

    [Fact]
    public void Elementwise_chains_merge_into_one_expression()
    {
        var graph = Parser.Parse("""
            graph chain {
              input %a: f32[seq, 8]
              input %b: f32[seq, 8]
              input %c: f32[seq, 8]
              %s: f32[seq, 8] = silu(%a)
              %m: f32[seq, 8] = mul(%s, %b)
              %t: f32[seq, 8] = add(%c, %m)
              %u: f32[seq, 8] = mul(%t, %a)
              output %u
            }
            """, "chain.ir");
        Assert.True(new FuseElementwise().Run(graph, Setup().Context));
        Verifier.Verify(graph);
        var node = Assert.Single(graph.Nodes);
        Assert.Equal("elementwise3", node.Op.Name);
        // Letters name operand positions: a = %c, b = %a, c = %b.
        Assert.Equal("mul(add(a, mul(silu(b), c)), b)", node.Attrs.GetString("expr"));
        Assert.Equal(["c", "a", "b"], node.Inputs.Select(v => v.Name));
    }

    private static (Graph Graph, PassContext Context) Setup(QuantFormat? format = null)
    {
        var graph = Parser.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, Before)), "llama_two_layer_gqa.ir");
        var weights = new WeightStore();
        var random = new Random(11);
        foreach (var w in graph.Weights)
            weights.Add(w.Name, new RandomMatrix(w.Type, [.. Enumerable.Range(0, (int)w.Type.StaticElementCount).Select(_ => (float)(random.NextDouble() - 0.5))]));
        return (graph, new PassContext(weights, new CpuTarget("cpu-avx2"), format));
    }

    private static float[] Logits(Graph graph, PassContext context)
    {
        var tokens = new[] { 3, 17, 5, 30, 1 };
        var inputs = KvBlockTable.AddOneBlock(new Dictionary<string, HostTensor>
        {
            ["tokens"] = new([tokens.Length], tokens),
            ["positions"] = new([tokens.Length], [.. Enumerable.Range(0, tokens.Length)]),
            ["logit_rows"] = new([tokens.Length], [.. Enumerable.Range(0, tokens.Length)]),
        }, tokens.Length);
        return ReferenceInterpreter.Run(graph, inputs, context.Weights.ReadHost, new Dictionary<string, HostTensor>())["logits"].Floats;
    }

    private sealed class RandomMatrix(TensorType type, float[] values) : IWeightSource
    {
        public TensorType Type => type;

        public float[] ReadFloat32() => values;
    }
}

/// <summary>
/// Tests of the pass manager, among them its IR dump, which follows a process-wide variable: they run alone, after
/// every other test, since any test that runs a pipeline (the model plan tests do) would otherwise dump into the
/// dump test's folder while the variable is set.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PassManagerCollection
{
    public const string Name = "pass manager";
}
