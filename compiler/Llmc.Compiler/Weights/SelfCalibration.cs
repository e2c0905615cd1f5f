using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Weights;

/// <summary>
/// Calibration without a data set: the float model writes its own text. Starting from BOS, the reference interpreter
/// samples a few sequences token by token (temperature 1, a fixed seed, so builds are reproducible) and sums, for the
/// activation every linear-family op multiplies by a float weight (after a fused RMSNorm prologue), the Gram matrix Σ x·xᵀ over all the tokens it saw.
/// Sampling follows the model's own distribution, which is what its activations will look like in use.
/// </summary>
public static class SelfCalibration
{
    public const int Sequences = 16;
    public const int SequenceLength = 128;

    // The reference interpreter runs in float64 on one core; above this many multiply-adds the build would take
    // minutes, so larger models keep the plain per-group search.
    private const double MaxMultiplyAdds = 4e9;

    /// <summary>Whether calibrating a graph whose linear weights hold this many elements is affordable.</summary>
    public static bool Affordable(long linearWeightElements) => (double)linearWeightElements * Sequences * SequenceLength <= MaxMultiplyAdds;

    /// <returns>The Gram matrix of the input of each linear weight, by weight name.</returns>
    public static Dictionary<string, double[,]> Run(Graph graph, WeightStore weights, int bos, int seed = 1)
    {
        // A copy of the graph that also outputs the activation every linear multiplies (a fused RMSNorm prologue's
        // result is computed by a probe node), so the interpreter hands them back.
        var probe = Parser.Parse(Printer.Print(graph), graph.Name);
        var editor = new GraphEditor(probe);
        var inputOf = new Dictionary<Node, Value>();
        foreach (var node in probe.Nodes.Where(n => FusedLinearOp.IsLinearFamily(n.Op) && n.Inputs[1].Kind == ValueKind.Weight && n.Inputs[1].Type.DType.IsFloat()).ToList())
        {
            inputOf[node] = FusedLinearOp.PartsOf(node.Op).Prologue == LinearPrologue.RmsNorm
                ? editor.InsertBefore(node, "rms_norm", [node.Inputs[0], node.Inputs[((FusedLinearOp)node.Op).NormOperand]], node.Attrs, node.Output.Name + ".calibration")
                : node.Inputs[0];
        }
        probe.Outputs.AddRange(inputOf.Values.Distinct().Where(v => !probe.Outputs.Contains(v)));
        var logits = probe.Outputs[0].Name;
        var grams = inputOf.Values.Distinct().ToDictionary(v => v.Name, v => new double[v.Type[1].Size, v.Type[1].Size]);
        var tensors = probe.Weights.ToDictionary(w => w.Name, w => weights.ReadHost(w.Name));
        var random = new Random(seed);
        for (var sequence = 0; sequence < Sequences; sequence++)
        {
            var states = new Dictionary<string, HostTensor>();
            var token = bos;
            for (var position = 0; position < SequenceLength; position++)
            {
                var inputs = KvBlockTable.AddOneBlock(new Dictionary<string, HostTensor>
                {
                    ["tokens"] = new([1], [token]),
                    ["positions"] = new([1], [position]),
                    ["logit_rows"] = new([1], [0]),
                }, rows: 1);
                var outputs = ReferenceInterpreter.Run(probe, inputs, name => tensors[name], states, KvBlockTable.OneBlockPool(SequenceLength));
                foreach (var (name, gram) in grams) AddOuterProduct(gram, outputs[name].Floats);
                token = Sample(outputs[logits].Floats, random);
            }
        }
        return inputOf.GroupBy(use => use.Key.Inputs[1].Name).ToDictionary(g => g.Key, g => Sum(g.Select(use => grams[use.Value.Name]).Distinct().ToList()));
    }

    /// <summary>The Gram matrix of a weight read by several linears: the sum of theirs.</summary>
    private static double[,] Sum(List<double[,]> grams)
    {
        if (grams.Count == 1) return grams[0];
        var sum = (double[,])grams[0].Clone();
        foreach (var gram in grams.Skip(1))
            for (var i = 0; i < sum.GetLength(0); i++)
                for (var j = 0; j < sum.GetLength(1); j++) sum[i, j] += gram[i, j];
        return sum;
    }

    private static void AddOuterProduct(double[,] gram, float[] x)
    {
        for (var i = 0; i < x.Length; i++)
            for (var j = 0; j < x.Length; j++) gram[i, j] += (double)x[i] * x[j];
    }

    private static int Sample(float[] logits, Random random)
    {
        var max = logits.Max();
        var weights = logits.Select(l => Math.Exp(l - max)).ToArray();
        var pick = random.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
            if ((pick -= weights[i]) <= 0) return i;
        return weights.Length - 1;
    }
}
