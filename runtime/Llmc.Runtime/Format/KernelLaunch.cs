namespace Llmc.Runtime.Format;

/// <summary>
/// How a GPU kernel is launched (CUDA, Vulkan): workgroups of <see cref="LocalSize"/> threads in a grid of
/// <see cref="GroupsX"/> × <c>GroupsY</c>, where <see cref="GroupsY"/> is a dimension text of the plan
/// (a number, or the symbol <c>seq</c> or <c>out</c> bound at each step). CPU kernels have none.
/// </summary>
public sealed record KernelLaunch
{
    public required int LocalSize { get; init; }

    public required int GroupsX { get; init; }

    public required string GroupsY { get; init; }
}
