using Llmc.Compiler.Frontends;
using Llmc.Compiler.Weights;
using Llmc.Ir;

namespace Llmc.Compiler.Models;

/// <summary>A model's graph and the weights it names, as the builder and the reference checks both need them.</summary>
public sealed record ImportedModel(Graph Graph, WeightStore Weights);

public static class ModelImport
{
    /// <param name="context">KV cache length in positions.</param>
    /// <param name="kvCache">How the KV cache is stored: f32 or kv8.</param>
    public static ImportedModel Import(IModelSource model, int context, DType kvCache = DType.F32)
    {
        var weights = new WeightStore();
        model.AddWeights(weights);
        var graph = DecoderModelBuilder.Build(model.Config, weights, context, model.WeightsPath, kvCache);
        Verifier.Verify(graph);
        return new ImportedModel(graph, weights);
    }
}
