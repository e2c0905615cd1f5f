using Llmc.Compiler.Passes;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Targets.Cpu;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Quantization;

public sealed class QuantizeWeightsPassTests
{
    private const string Folder = "tests/Llmc.EndToEnd.Tests/Quantization/Golden";

    private static (Graph Graph, PassContext Context) Setup(QuantFormat? format)
    {
        var graph = Parser.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, Folder, "quantize.before.ir")), "quantize.before.ir");
        var weights = new WeightStore();
        var random = new Random(7);
        foreach (var w in graph.Weights)
            weights.Add(w.Name, new ComputedMatrix(w.Type, [.. Enumerable.Range(0, (int)w.Type.StaticElementCount).Select(_ => (float)random.NextDouble() - 0.5f)]));
        return (graph, new PassContext(weights, new CpuTarget("cpu-avx2"), format));
    }

    [Fact]
    public void Quantize_matches_its_golden_output_and_keeps_the_tied_head_float()
    {
        var (graph, context) = Setup(new QuantFormat(QuantScheme.Q4, 32));
        Assert.True(new QuantizeWeights().Run(graph, context));
        Verifier.Verify(graph);
        Golden.AssertMatches(Printer.Print(graph), $"{Folder}/quantize.after.ir");
        Assert.Equal(DType.F32, graph.Find("embed").Type.DType);
        Assert.Equal(DType.Q4G32, context.Weights["down.q4g32"].Type.DType);
    }

    [Fact]
    public void The_reference_runs_the_quantized_graph_close_to_the_float_one()
    {
        var (graph, context) = Setup(new QuantFormat(QuantScheme.Q8, 32));
        var inputs = new Dictionary<string, HostTensor> { ["tokens"] = new([3], [1, 4, 9]) };
        var expected = ReferenceInterpreter.Run(graph, inputs, context.Weights.ReadHost, new Dictionary<string, HostTensor>())["logits"].Floats;
        new QuantizeWeights().Run(graph, context);
        var actual = ReferenceInterpreter.Run(graph, inputs, context.Weights.ReadHost, new Dictionary<string, HostTensor>())["logits"].Floats;
        var error = Math.Sqrt(expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Sum() / expected.Sum(e => (double)e * e));
        Assert.True(error < 0.02, $"q8 relative L2 error {error:E3}");
    }

    [Fact]
    public void Without_a_format_the_pass_changes_nothing()
    {
        var (graph, context) = Setup(null);
        var text = Printer.Print(graph);
        Assert.False(new QuantizeWeights().Run(graph, context));
        Assert.Equal(text, Printer.Print(graph));
    }

    private sealed class ComputedMatrix(TensorType type, float[] values) : IWeightSource
    {
        public TensorType Type => type;

        public float[] ReadFloat32() => values;
    }
}
