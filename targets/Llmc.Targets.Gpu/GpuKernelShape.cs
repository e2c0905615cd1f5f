namespace Llmc.Targets.Gpu;

/// <summary>
/// A kernel's launch and its workgroup-shared memory: workgroups of <paramref name="LocalSize"/> threads in a grid of
/// <paramref name="GroupsX"/> × <paramref name="GroupsY"/> (a constant or a plan symbol), and the shared arrays.
/// </summary>
public sealed record GpuKernelShape(int LocalSize, int GroupsX, Ir.Dim GroupsY, IReadOnlyList<SharedArray> Shared)
{
    public Runtime.Format.KernelLaunch Launch => new() { LocalSize = LocalSize, GroupsX = GroupsX, GroupsY = GroupsY.ToString() };
}
