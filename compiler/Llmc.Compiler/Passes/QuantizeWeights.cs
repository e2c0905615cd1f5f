using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Compiler.Passes;

/// <summary>
/// Stores every float weight that only <c>linear</c> (or a fused linear, as its matrix) reads in the build's quantized format: the weight value becomes
/// <c>name.format</c> (e.g. <c>…q_proj.weight.q4g32</c>) of the packed type, and its source packs the f32 one; dce then
/// drops the float value. A weight other ops also read (an LM head tied to the embedding) stays f32: the float table
/// is stored for the embedding anyway, and the head is where 4-bit rounding costs the most perplexity.
/// </summary>
public sealed class QuantizeWeights : IPass
{
    public const string PassName = "quantize";

    public string Name => PassName;

    public string Description => "store linear weights in the --quant format, or every matrix in f16/bf16 (no-op for f32)";

    public bool Run(Graph graph, PassContext context)
    {
        if (context.HalfWeights is { } half) return StoreHalf(graph, context, half);
        if (context.Quantization is not { } format) return false;
        var editor = new GraphEditor(graph);
        // The fused linear ops keep their matrix at operand 1 too (FusedLinearOp).
        var readers = graph.Nodes.SelectMany(n => n.Inputs.Select((v, i) => (Value: v, Linear: FusedLinearOp.IsLinearFamily(n.Op) && i == 1)))
            .ToLookup(use => use.Value, use => use.Linear);
        var packed = new Dictionary<Value, Value>();
        var grams = Calibrate(graph, context);
        foreach (var node in graph.Nodes.Where(n => FusedLinearOp.IsLinearFamily(n.Op)))
        {
            var weight = node.Inputs[1];
            if (weight.Kind != ValueKind.Weight || !weight.Type.DType.IsFloat() || !readers[weight].All(linear => linear)) continue;
            if (!packed.TryGetValue(weight, out var quantized))
            {
                quantized = editor.AddWeight($"{weight.Name}.{format.Name}", weight.Type with { DType = format.DType });
                context.Weights.Add(quantized.Name, new QuantizedWeight(context.Weights[weight.Name], format, grams?.GetValueOrDefault(weight.Name)));
                packed[weight] = quantized;
            }
            node.Inputs[1] = quantized;
        }
        editor.RemoveUnusedWeights();
        return packed.Count > 0;
    }

    /// <summary>
    /// f16/bf16 storage: every rank-2 f32 weight (matrices and the embedding table, which a tied LM head shares) becomes
    /// <c>name.f16</c> of the half type; norm weights and the RoPE table are vectors and stay f32.
    /// </summary>
    private static bool StoreHalf(Graph graph, PassContext context, DType half)
    {
        var editor = new GraphEditor(graph);
        var stored = new Dictionary<Value, Value>();
        foreach (var weight in graph.Weights.Where(w => w.Type.Rank == 2 && w.Type.DType == DType.F32).ToList())
        {
            stored[weight] = editor.AddWeight($"{weight.Name}.{half.Name()}", weight.Type with { DType = half });
            context.Weights.Add(stored[weight].Name, new HalfWeight(context.Weights[weight.Name], half, weight.Name));
        }
        foreach (var node in graph.Nodes)
            for (var i = 0; i < node.Inputs.Count; i++)
                if (stored.TryGetValue(node.Inputs[i], out var replacement)) node.Inputs[i] = replacement;
        editor.RemoveUnusedWeights();
        return stored.Count > 0;
    }

    /// <summary>The Gram matrices of the linear inputs for GPTQ, when the model is small enough to run on the host.</summary>
    private static Dictionary<string, double[,]>? Calibrate(Graph graph, PassContext context)
    {
        var linearElements = graph.Nodes.Where(n => FusedLinearOp.IsLinearFamily(n.Op)).Select(n => n.Inputs[1]).Distinct().Sum(w => w.Type.StaticElementCount);
        return context.BosToken is { } bos && SelfCalibration.Affordable(linearElements)
            ? SelfCalibration.Run(graph, context.Weights, bos)
            : null;
    }
}
