namespace Llmc.Compiler.Frontends.HfConfig;

/// <summary>
/// RoPE inverse frequencies as HuggingFace computes them, in float32 so the engine's angles match a
/// PyTorch run bit for bit where possible: <c>inv_freq[i] = 1 / theta^(2i / head_dim)</c>, then scaled.
/// </summary>
public static class RopeFrequencies
{
    /// <param name="context">The engine's context: LongRoPE chooses its factors by it.</param>
    public static float[] Compute(double theta, int headDim, RopeScaling? scaling, int context)
    {
        var inverse = new float[headDim / 2];
        var baseF = (float)theta;
        for (var i = 0; i < inverse.Length; i++)
            inverse[i] = 1f / MathF.Pow(baseF, 2 * i / (float)headDim);
        switch (scaling)
        {
            case LinearRopeScaling linear:
                for (var i = 0; i < inverse.Length; i++)
                    inverse[i] /= (float)linear.Factor;
                break;
            case Llama3RopeScaling llama3:
                ApplyLlama3(inverse, llama3);
                break;
            case FrequencyFactorsRopeScaling factors:
                if (factors.Factors.Length != inverse.Length)
                    throw new ArgumentException($"{factors.Factors.Length} rope frequency factors for {inverse.Length} frequencies");
                for (var i = 0; i < inverse.Length; i++)
                    inverse[i] /= factors.Factors[i];
                break;
            case LongRopeScaling longRope:
                // transformers' _compute_longrope_parameters: 1 / (factor · base^(2i/d)), in float32.
                var chosen = longRope.FactorsFor(context);
                for (var i = 0; i < inverse.Length; i++)
                    inverse[i] = 1f / (chosen[i] * MathF.Pow(baseF, 2 * i / (float)headDim));
                break;
        }
        return inverse;
    }

    // transformers' _compute_llama3_parameters, step for step in float32.
    private static void ApplyLlama3(float[] inverse, Llama3RopeScaling s)
    {
        var factor = (float)s.Factor;
        var lowFactor = (float)s.LowFreqFactor;
        var highFactor = (float)s.HighFreqFactor;
        var oldContext = (float)s.OriginalMaxPositionEmbeddings;
        var lowFreqWavelength = oldContext / lowFactor;
        var highFreqWavelength = oldContext / highFactor;
        for (var i = 0; i < inverse.Length; i++)
        {
            var wavelength = (float)(2 * Math.PI) / inverse[i];
            if (wavelength < highFreqWavelength)
                continue;
            if (wavelength > lowFreqWavelength)
            {
                inverse[i] /= factor;
                continue;
            }
            var smooth = (oldContext / wavelength - lowFactor) / (highFactor - lowFactor);
            inverse[i] = (1 - smooth) * inverse[i] / factor + smooth * inverse[i];
        }
    }
}
