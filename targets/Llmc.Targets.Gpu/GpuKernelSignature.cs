namespace Llmc.Targets.Gpu;

/// <summary>
/// What a dialect needs to frame a kernel: its entry name, which arguments it writes (the result and any state
/// operands; the others are read only), and its shape.
/// </summary>
public sealed record GpuKernelSignature(string Entry, IReadOnlyList<bool> Writes, GpuKernelShape Shape)
{
    public int ArgumentCount => Writes.Count;
}
