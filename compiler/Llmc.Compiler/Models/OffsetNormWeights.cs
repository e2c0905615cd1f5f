using Llmc.Compiler.Weights;
using Llmc.Ir;

namespace Llmc.Compiler.Models;

/// <summary>
/// Gemma stores each RMSNorm weight as w and multiplies by 1 + w (in f32): the builder folds the 1 in, so every
/// norm kernel and fusion reads an ordinary weight. Norm weights are the vectors named <c>…norm.weight</c>.
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
