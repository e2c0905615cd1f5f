namespace Llmc.Ir.Quantization;

/// <summary>How a group of weights maps to integer codes; see docs/quantization.md.</summary>
public enum QuantScheme
{
    /// <summary>Symmetric int8: w = scale · (code − 128), code in 1..255.</summary>
    Q8,

    /// <summary>Symmetric int4: w = scale · (code − 8), code in 0..15.</summary>
    Q4,

    /// <summary>Asymmetric int4: w = scale · code + offset, code in 0..15.</summary>
    Q4A,

    /// <summary>
    /// Symmetric 6-bit: w = scale · (code − 32), code in 0..63; the head and embedding of the 4-bit schemes (GGUF's
    /// Q4_0 models keep theirs at Q6_K).
    /// </summary>
    Q6,

    /// <summary>Asymmetric int8: w = scale · code + offset, code in 0..255.</summary>
    Q8A,
}
