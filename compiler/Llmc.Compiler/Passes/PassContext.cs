using Llmc.Compiler.Weights;
using Llmc.Targets;

namespace Llmc.Compiler.Passes;

/// <summary>What passes may consult or change besides the graph: its weights (a rewrite and its weight transform go together) and the target.</summary>
public sealed record PassContext(WeightStore Weights, ITarget Target);
