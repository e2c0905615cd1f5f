using System.Globalization;
using Llmc.Runtime.Format;

namespace Llmc.Targets.Gpu;

/// <summary>
/// A kernel's launch and its workgroup-shared memory: workgroups of <paramref name="LocalSize"/> threads in a grid of
/// <paramref name="GroupsX"/> × (<paramref name="GroupsY"/> ÷ <paramref name="RowsPerGroup"/>, rounded up), where
/// <paramref name="GroupsY"/> is a constant or a plan symbol and each workgroup along y takes
/// <paramref name="RowsPerGroup"/> of its rows; and the shared arrays.
/// </summary>
public sealed record GpuKernelShape(int LocalSize, int GroupsX, Ir.Dim GroupsY, IReadOnlyList<SharedArray> Shared, int RowsPerGroup = 1)
{
    public KernelLaunch Launch => new()
    {
        LocalSize = LocalSize,
        GroupsX = GroupsX,
        GroupsY = GroupsY.IsSymbolic ? LaunchExtent.Format(GroupsY.Symbol!, RowsPerGroup)
            : ((GroupsY.Size + RowsPerGroup - 1) / RowsPerGroup).ToString(CultureInfo.InvariantCulture),
    };
}
