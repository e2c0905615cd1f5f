using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Ir.Quantization;

namespace Llmc.Compiler.Passes;

/// <summary>
/// Stores every float weight that <c>linear</c> (or a fused linear, as its matrix) reads in the build's quantized format:
/// the weight value becomes <c>name.format</c> (e.g. <c>…q_proj.weight.q4g32</c>) of the packed type, and its source
/// packs the f32 one; dce then drops the float value. The LM head (the linear that writes a graph output) is stored at
/// more bits, in the build's group size: q8 for q8 and q6 builds, q6 for the 4-bit ones. It is where 4-bit rounding
/// costs the most perplexity, and llama.cpp keeps its output matrix at Q6_K in its 4-bit types for the same reason
/// (6.56 bits a value against q6's 6.5: a q8 head made the Llama-3.2-1B q4 engine 8 % larger than its GGUF). The
/// embedding table is stored in that format too and gathered from dequantized (a decode step reads one row of it): a
/// head tied to it reads the same packed copy, so a tied model holds its largest matrix once, as a GGUF does. Without <c>--quant</c>, a matrix whose
/// source is already in an llmc quantized format (a GGUF's quantized tensor, also once stacked by fusion) is carried
/// over in it, codes unchanged, embedding tables included.
/// </summary>
public sealed class QuantizeWeights : IPass
{
    public const string PassName = "quantize";

    public string Name => PassName;

    public string Description => "store linear weights in the --quant format (the LM head at 8 bits, 6 for 4-bit formats), or every matrix in f16/bf16 (no-op for f32)";

    public bool Run(Graph graph, PassContext context)
    {
        if (context.HalfWeights is { } half) return StoreHalf(graph, context, half);
        if (context.Quantization is not { } format) return CarryQuantized(graph, context);
        var editor = new GraphEditor(graph);
        var head = HeadFormat(format);
        var outputs = graph.Outputs.ToHashSet();
        var packed = new Dictionary<(Value, QuantFormat), Value>();
        var grams = Calibrate(graph, context);
        foreach (var node in graph.Nodes.Where(n => FusedLinearOp.IsLinearFamily(n.Op)))
        {
            // The fused linear ops keep their matrix at operand 1 too (FusedLinearOp).
            var weight = node.Inputs[1];
            if (weight.Kind != ValueKind.Weight || !weight.Type.DType.IsFloat()) continue;
            var chosen = outputs.Contains(node.Output) ? head : format;
            if (!packed.TryGetValue((weight, chosen), out var quantized))
            {
                quantized = editor.AddWeight($"{weight.Name}.{chosen.Name}", weight.Type with { DType = chosen.DType });
                context.Weights.Add(quantized.Name, new QuantizedWeight(context.Weights[weight.Name], chosen, weight.Name, grams?.GetValueOrDefault(weight.Name)));
                packed[(weight, chosen)] = quantized;
            }
            node.Inputs[1] = quantized;
        }
        // Embedding tables gather from the head's format: a tied head's packed copy is the table itself.
        foreach (var node in graph.Nodes.Where(n => n.Op is EmbeddingOp))
        {
            var table = node.Inputs[0];
            if (table.Kind != ValueKind.Weight || !table.Type.DType.IsFloat()) continue;
            if (!packed.TryGetValue((table, head), out var quantized))
            {
                quantized = editor.AddWeight($"{table.Name}.{head.Name}", table.Type with { DType = head.DType });
                context.Weights.Add(quantized.Name, new QuantizedWeight(context.Weights[table.Name], head, table.Name));
                packed[(table, head)] = quantized;
            }
            node.Inputs[0] = quantized;
        }
        editor.RemoveUnusedWeights();
        return packed.Count > 0;
    }

    /// <summary>The format of the LM head and embedding table in a build of <paramref name="format"/>: q8, or q6 for fewer bits.</summary>
    public static QuantFormat HeadFormat(QuantFormat format) =>
        new(format.Bits >= 6 ? QuantScheme.Q8 : QuantScheme.Q6, format.GroupSize);

    /// <summary>
    /// Linear matrices and embedding tables whose sources hold an llmc quantized format are stored in it
    /// (<see cref="CarriedWeight"/>): a tied head and its embedding then read one packed copy.
    /// </summary>
    private static bool CarryQuantized(Graph graph, PassContext context)
    {
        var editor = new GraphEditor(graph);
        var carried = new Dictionary<Value, Value>();
        var readers = graph.Nodes
            .Where(n => FusedLinearOp.IsLinearFamily(n.Op) || n.Op is EmbeddingOp)
            .Select(n => (Node: n, Operand: n.Op is EmbeddingOp ? 0 : 1));
        foreach (var (node, operand) in readers)
        {
            var weight = node.Inputs[operand];
            if (weight.Kind != ValueKind.Weight || weight.Type.DType != DType.F32 || context.Weights[weight.Name].CarriedFormat is not { } format) continue;
            if (!carried.TryGetValue(weight, out var stored))
            {
                stored = editor.AddWeight($"{weight.Name}.{format.Name}", weight.Type with { DType = format.DType });
                context.Weights.Add(stored.Name, new CarriedWeight(context.Weights[weight.Name]));
                carried[weight] = stored;
            }
            node.Inputs[operand] = stored;
        }
        editor.RemoveUnusedWeights();
        return carried.Count > 0;
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
