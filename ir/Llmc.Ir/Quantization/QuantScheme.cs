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

    /// <summary>Asymmetric int8: w = scale · code + offset, code in 0..255.</summary>
    Q8A,
}
