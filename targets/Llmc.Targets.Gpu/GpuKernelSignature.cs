namespace Llmc.Targets.Gpu;

/// <summary>
/// What a dialect needs to frame a kernel: its entry name, which arguments it writes (the result and any state
/// operands; the others are read only), and its shape.
/// </summary>
public sealed record GpuKernelSignature(string Entry, IReadOnlyList<bool> Writes, GpuKernelShape Shape)
{
    public int ArgumentCount => Writes.Count;
}

/// <summary>
/// A kernel's launch and its workgroup-shared memory: workgroups of <paramref name="LocalSize"/> threads in a grid of
/// <paramref name="GroupsX"/> × <paramref name="GroupsY"/> (a constant or a plan symbol), and the shared arrays.
/// </summary>
public sealed record GpuKernelShape(int LocalSize, int GroupsX, Ir.Dim GroupsY, IReadOnlyList<SharedArray> Shared)
{
    public Runtime.Format.KernelLaunch Launch => new() { LocalSize = LocalSize, GroupsX = GroupsX, GroupsY = GroupsY.ToString() };
}

/// <summary>An array in workgroup-shared memory of <paramref name="Count"/> elements of <paramref name="Type"/> (<c>float</c>, <c>int</c>, <c>uint</c>).</summary>
public sealed record SharedArray(string Type, string Name, int Count)
{
    public int Bytes => 4 * Count;
}
