using Llmc.Compiler.Frontends;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Runtime;

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
        var read = weights.Names.ToList();
        var graph = DecoderModelBuilder.Build(model.Config, weights, context, model.WeightsPath, kvCache);
        Verifier.Verify(graph);
        // Tensors the builder took apart (FusedProjections) have left the store: their parts are checked instead.
        RefuseUnusedTensors(model, read.Where(weights.Contains), graph);
        return new ImportedModel(graph, weights);
    }

    /// <summary>
    /// A tensor of the checkpoint that the graph does not read would be a silently dropped part of the model (a bias
    /// the family does not have, a layer past the config's count): refused by name. Transformers itself ignores two
    /// kinds, so they are skipped: <c>lm_head.weight</c> of a tied model and the <c>rotary_emb.inv_freq</c> buffers
    /// older checkpoints saved.
    /// </summary>
    private static void RefuseUnusedTensors(IModelSource model, IEnumerable<string> read, Graph graph)
    {
        var used = graph.Weights.Select(w => w.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in read)
        {
            if (used.Contains(name) || name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)
                || (name == "lm_head.weight" && model.Config.TieWordEmbeddings))
                continue;
            throw new ModelFileException(model.WeightsPath, $"tensor '{name}' is not part of llmc's {model.Config.Architecture} model");
        }
    }
}
