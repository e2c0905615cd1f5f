using System.Text.Json.Nodes;
using Llmc.Compiler.Frontends;
using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Compiler.Lowering;
using Llmc.Compiler.Models;
using Llmc.Compiler.Passes;
using Llmc.Compiler.Synth;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Runtime.Plan;
using Llmc.Targets.Cpu;
using Llmc.Tests;
using Xunit.Abstractions;

namespace Llmc.Compiler.Tests.Lowering;

/// <summary>The activation arena of whole-model plans, as the default build lowers them.</summary>
public sealed class ModelPlanTests(ITestOutputHelper output)
{
    private const int MaxSeq = 512;

    private static readonly CpuTarget Target = new("cpu-avx2");

    [Fact]
    public void Stories260k_reuses_activation_memory_soundly()
    {
        using var model = HfModelFolder.Open(TestPaths.Model("stories260k-hf"));
        var (graph, weights) = ModelImport.Import(model, context: 512);
        AssertPlannedArena(Lower(graph, weights), "stories260K");
    }

    /// <summary>Every real config under tools/configs (the ones benchmarks synthesize): it builds, fuses and plans.</summary>
    [Theory]
    [InlineData("llama-3.2-1b.json")]
    [InlineData("qwen2.5-0.5b.json")]
    [InlineData("qwen3-0.6b.json")]
    [InlineData("phi-3-mini-4k.json")]
    [InlineData("gemma-2-2b.json")]
    public void A_real_config_reuses_activation_memory_soundly(string file)
    {
        // Planning needs shapes only: the weights are declared, never read.
        var path = Path.Combine(TestPaths.RepoRoot, "tools/configs", file);
        var config = DecoderConfig.Parse(JsonNode.Parse(File.ReadAllText(path))!.AsObject(), path);
        var weights = new WeightStore();
        foreach (var w in DecoderWeightLayout.For(config))
            weights.Add(w.Name, new ShapeOnlyWeight(new TensorType(DType.F32, w.Shape.Select(d => new Dim((int)d)).ToArray())));
        var graph = DecoderModelBuilder.Build(config, weights, context: 512, path);
        AssertPlannedArena(Lower(graph, weights), file);
    }

    private static ExecutionPlan Lower(Graph graph, WeightStore weights)
    {
        PassManager.Run(graph, Pipeline.Default, new PassContext(weights, Target), verify: true);
        return PlanLowering.Lower(graph, Target, MaxSeq, context: 512).Plan;
    }

    /// <summary>The arena is sound, at most half of no reuse, and within 10 % of the busiest step's footprint (no layout can beat that).</summary>
    private void AssertPlannedArena(ExecutionPlan plan, string model)
    {
        var logits = plan.Outputs[PlanRoles.Logits];
        ArenaAssert.Sound(plan.Buffers, plan.Steps, [logits], plan.MaxSeq, plan.ActivationBytes);
        var unplanned = ArenaAssert.Unplanned(plan.Buffers, plan.MaxSeq);
        var bound = ActivationLiveness.LowerBound(ActivationLiveness.Of(plan.Buffers, plan.Steps, [logits], plan.MaxSeq));
        output.WriteLine($"{model} at max_seq {plan.MaxSeq}: arena {plan.ActivationBytes:N0} bytes, without reuse {unplanned:N0}, busiest step {bound:N0}");
        Assert.InRange(plan.ActivationBytes, bound, bound * 11 / 10);
        Assert.True(plan.ActivationBytes <= unplanned / 2, $"arena {plan.ActivationBytes} is more than half of {unplanned}");
    }

    private sealed class ShapeOnlyWeight(TensorType type) : IWeightSource
    {
        public TensorType Type => type;

        public float[] ReadFloat32() => throw new InvalidOperationException("a planning test read a weight");
    }
}
