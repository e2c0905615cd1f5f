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

    private static (Graph Graph, PassContext Context) Setup(QuantFormat? format, DType sourcePrecision = DType.F32)
    {
        var graph = Parser.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, Folder, "quantize.before.ir")), "quantize.before.ir");
        var weights = new WeightStore();
        var random = new Random(7);
        foreach (var w in graph.Weights)
            weights.Add(w.Name, new ComputedMatrix(w.Type, [.. Enumerable.Range(0, (int)w.Type.StaticElementCount).Select(_ => RandomIn(random, sourcePrecision))]));
        return (graph, new PassContext(weights, new CpuTarget("cpu-avx2"), format));
    }

    [Fact]
    public void Quantize_matches_its_golden_output_and_packs_the_tied_head_of_a_4_bit_build_at_6_bits()
    {
        var (graph, context) = Setup(new QuantFormat(QuantScheme.Q4, 32));
        Assert.True(new QuantizeWeights().Run(graph, context));
        Verifier.Verify(graph);
        Golden.AssertMatches(Printer.Print(graph), $"{Folder}/quantize.after.ir");
        // The head is stored at 6 bits in the build's group size, and the tied embedding gathers from that same copy.
        Assert.Equal("embed.q6g32", graph.Nodes.Single(n => n.Output.Name == "logits").Inputs[1].Name);
        Assert.Equal("embed.q6g32", graph.Nodes.Single(n => n.Op.Name == "embedding").Inputs[0].Name);
        Assert.DoesNotContain(graph.Weights, w => w.Name == "embed");
        Assert.Equal(DType.Q4G32, context.Weights["down.q4g32"].Type.DType);
    }

    [Fact]
    public void A_tied_table_from_a_bf16_file_is_one_copy_at_8_bits()
    {
        var (graph, context) = Setup(new QuantFormat(QuantScheme.Q8, 64), DType.BF16);
        Assert.True(new QuantizeWeights().Run(graph, context));
        Verifier.Verify(graph);
        var table = graph.Nodes.Single(n => n.Op.Name == "embedding").Inputs[0];
        Assert.Equal(("embed.q8g64", DType.Q8G64), (table.Name, table.Type.DType));
        Assert.Same(table, graph.Nodes.Single(n => n.Output.Name == "logits").Inputs[1]);
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

    // A value a file of that precision could hold: bf16 keeps the top 16 bits of an f32.
    private static float RandomIn(Random random, DType precision)
    {
        var value = (float)random.NextDouble() - 0.5f;
        return precision == DType.BF16 ? BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(value) & unchecked((int)0xFFFF0000)) : value;
    }

    private sealed class ComputedMatrix(TensorType type, float[] values) : IWeightSource
    {
        public TensorType Type => type;

        public float[] ReadFloat32() => values;
    }
}
