using Llmc.Compiler.Weights;
using Llmc.Ir.Quantization;
using Llmc.Targets;

namespace Llmc.Compiler.Passes;

/// <summary>
/// What passes may consult or change besides the graph: its weights (a rewrite and its weight transform go together),
/// the target, and the weight format the build asked for (null: keep the weights as imported).
/// </summary>
public sealed record PassContext(WeightStore Weights, ITarget Target, QuantFormat? Quantization = null);
