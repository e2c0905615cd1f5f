namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// How a quantized linear kernel keeps its tile rows' int8 activation codes in shared memory
/// (<see cref="QuantizedLinearTemplate"/>). Either way the product runs chunk by chunk of
/// <see cref="QuantizedLinearTemplate.ChunkCodes"/> codes in the same order, so a row's value does not depend on it.
/// </summary>
public enum ActivationStaging
{
    /// <summary>Whole rows rounded once before the product: one barrier, for the few rows of the kernel of any step.</summary>
    WholeRows,

    /// <summary>
    /// A chunk of every tile row at a time, rounded as the product reaches it: shared memory independent of K, so a
    /// tile holds as many rows as its accumulators allow, at two barriers a chunk.
    /// </summary>
    Chunks,
}
