namespace Llmc.Targets.Gpu;

/// <summary>
/// A second kernel body of an op for steps of many rows (prefill chunks, large batches), with its own launch: the
/// executor runs it instead of the op's template for steps of at least <see cref="MinRows"/> rows
/// (<see cref="Runtime.Format.KernelLaunch.MinRows"/>, <see cref="Runtime.Format.StepCode{T}"/>).
/// </summary>
public interface IManyRowsTemplate : IGpuKernelTemplate
{
    /// <summary>Whether it has a body for this instance that does better than the op's template (e.g. only f16/bf16 weights).</summary>
    bool AppliesTo(KernelInstance instance);

    /// <summary>The fewest rows of a step it runs for.</summary>
    int MinRows(KernelInstance instance);

    /// <summary>
    /// Whether it gives every row the same bits as the op's template, so the executor's choice between them cannot change
    /// a row (<see cref="Runtime.Format.KernelLaunch.SameRounding"/>).
    /// </summary>
    bool SameRounding { get; }
}
