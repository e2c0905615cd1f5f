using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Targets;

namespace Llmc.Compiler.Passes;

/// <summary>
/// What passes may consult or change besides the graph: its weights (a rewrite and its weight transform go together),
/// the target, and the weight format the build asked for (null: keep the weights as imported).
/// </summary>
public sealed record PassContext(WeightStore Weights, ITarget Target, QuantFormat? Quantization = null)
{
    /// <summary>The model's BOS token: calibration sequences start with it (none: quantization calibrates nothing).</summary>
    public int? BosToken { get; init; }

    /// <summary>f16 or bf16: store every matrix weight in it instead (the quantize pass; null: keep them f32).</summary>
    public DType? HalfWeights { get; init; }
}
