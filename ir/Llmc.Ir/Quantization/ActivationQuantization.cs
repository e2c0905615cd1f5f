namespace Llmc.Ir.Quantization;

/// <summary>
/// How <c>linear</c> with a quantized weight rounds its activation: each group of a row (the weight's groups) becomes
/// int8 codes q = round_even(x · 127 / m) with scale m / 127, m the group's largest |x| (all zero when m is 0), in f32
/// arithmetic. The kernels do exactly this, so the reference and the kernels see the same integers.
/// </summary>
public static class ActivationQuantization
{
    /// <summary>Quantizes one group; returns its scale and the sum of its codes.</summary>
    public static (float Scale, int Sum) QuantizeGroup(ReadOnlySpan<float> x, Span<int> codes)
    {
        var max = 0f;
        foreach (var v in x) max = MathF.Max(max, MathF.Abs(v));
        if (max == 0)
        {
            codes.Clear();
            return (0, 0);
        }
        var inverse = 127f / max;
        var sum = 0;
        for (var i = 0; i < x.Length; i++) sum += codes[i] = (int)MathF.Round(x[i] * inverse);
        return (max / 127f, sum);
    }
}
