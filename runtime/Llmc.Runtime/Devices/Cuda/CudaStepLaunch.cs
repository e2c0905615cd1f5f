using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Devices.Cuda;

/// <summary>
/// One plan step as a kernel launch: its function, grid and parameter block. The block holds the buffer
/// pointers then <c>seq</c> and <c>out</c> (the GPU kernel ABI), and the array of pointers to each parameter
/// that <c>cuLaunchKernel</c> reads; the driver copies the values at launch, so the block is reused.
/// </summary>
public sealed unsafe class CudaStepLaunch
{
    private readonly nint _function;
    private readonly KernelLaunch _launch;
    private readonly LaunchExtent _groupsY;
    private readonly int* _dims;
    private readonly void** _parameters;

    /// <param name="storage">Native memory of <see cref="StorageBytes"/> for <paramref name="args"/>, alive as long as this launch.</param>
    public CudaStepLaunch(string kernel, nint function, KernelLaunch launch, IReadOnlyList<ulong> args, byte* storage)
    {
        _function = function;
        _launch = launch;
        _groupsY = LaunchExtent.Parse(kernel, launch.GroupsY);
        var pointers = (ulong*)storage;
        _dims = (int*)(pointers + args.Count);
        _parameters = (void**)((byte*)_dims + DimsBytes);
        for (var i = 0; i < args.Count; i++)
        {
            pointers[i] = args[i];
            _parameters[i] = pointers + i;
        }
        for (var i = 0; i < PlanSymbols.Count; i++) _parameters[args.Count + i] = _dims + i;
    }

    /// <summary>Bytes of parameter storage a step with <paramref name="args"/> buffers needs.</summary>
    public static int StorageBytes(int args) => args * sizeof(ulong) + DimsBytes + (args + PlanSymbols.Count) * sizeof(nint);

    // The symbol values, padded so the pointer array after them is 8-byte aligned.
    private static int DimsBytes => (PlanSymbols.Count * sizeof(int) + 7) / 8 * 8;

    /// <summary>Launches the kernel on <paramref name="stream"/> (0: the default stream) with the step's symbols bound to <paramref name="dims"/>.</summary>
    public void Enqueue(nint stream, ReadOnlySpan<int> dims)
    {
        for (var i = 0; i < PlanSymbols.Count; i++) _dims[i] = dims[i];
        var groupsY = _groupsY.Of(dims);
        if (groupsY == 0) return;
        CudaResult.Check(CudaNative.cuLaunchKernel(_function, (uint)_launch.GroupsX, groupsY, 1, (uint)_launch.LocalSize, 1, 1, 0, stream, _parameters, null),
            "cuLaunchKernel");
    }
}
