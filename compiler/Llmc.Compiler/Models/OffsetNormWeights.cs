using Llmc.Compiler.Weights;
using Llmc.Ir;

namespace Llmc.Compiler.Models;

/// <summary>
/// Gemma's Hugging Face checkpoints store each RMSNorm weight as w and multiply by 1 + w (in f32). The builder reads
/// every norm weight as the multiplier itself, so every norm kernel and fusion is the ordinary one: the Hugging Face
/// import folds the 1 in here, as llama.cpp's converter does when it writes a Gemma GGUF (whose norms are read as they
/// are). Norm weights are the vectors named <c>…norm.weight</c>.
/// </summary>
public static class OffsetNormWeights
{
    public static void Apply(WeightStore weights)
    {
        foreach (var name in weights.Names.Where(n => n.EndsWith("norm.weight", StringComparison.Ordinal)).ToList())
            weights.Add(name, new PlusOneWeight(weights.Remove(name)));
    }

    private sealed class PlusOneWeight(IWeightSource source) : IWeightSource
    {
        public TensorType Type => source.Type;

        public float[] ReadFloat32() => [.. source.ReadFloat32().Select(w => 1f + w)];
    }
}
