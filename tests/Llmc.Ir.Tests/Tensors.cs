namespace Llmc.Ir.Tests;

/// <summary>Small helpers to make host tensors in tests.</summary>
public static class Tensors
{
    public static HostTensor F(int[] shape, params float[] data) => new(shape, data);

    public static HostTensor I(params int[] data) => new([data.Length], data);

    /// <summary>Deterministic values in [-scale, scale): the same name and shape always give the same tensor.</summary>
    public static HostTensor Random(string seedName, int[] shape, float scale = 0.5f)
    {
        var random = new Random(StableHash(seedName));
        var t = new HostTensor(DType.F32, shape);
        for (var i = 0; i < t.Length; i++) t.Floats[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return t;
    }

    /// <summary>Random weights of the declared static shapes of a graph.</summary>
    public static Func<string, HostTensor> RandomWeights(Graph g) =>
        name => Random(name, [.. g.Find(name).Type.Shape.Select(d => d.Size)]);

    // string.GetHashCode is randomised per process; tests want the same data every run.
    private static int StableHash(string s)
    {
        var h = 17;
        foreach (var c in s) h = unchecked(h * 31 + c);
        return h;
    }
}
