using System.Runtime.InteropServices;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Plan;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Runs one kernel as the runtime does: every argument lives at its own 256-aligned offset in one device buffer (like the
/// activation arena), bound by (buffer, offset, range); the bytes of every argument are read back afterwards.
/// Arguments given as null are output buffers of that many bytes, poisoned with NaN before the launch; <c>dims</c> are the
/// symbols' values in <see cref="PlanSymbols"/> order.
/// </summary>
public static unsafe class VulkanKernelRunner
{
    public static byte[][] Run(VulkanDevice device, VulkanKernel kernel, IReadOnlyList<(byte[]? Data, long Bytes)> arguments, ReadOnlySpan<int> dims)
    {
        var offsets = new long[arguments.Count];
        long total = 0;
        for (var i = 0; i < arguments.Count; i++)
        {
            offsets[i] = total;
            total = ActivationArena.AlignUp(total + Math.Max(4, arguments[i].Bytes));
        }
        var image = new byte[total];
        // NaN everywhere first: results and the padding between arguments start as poison.
        MemoryMarshal.Cast<byte, float>(image.AsSpan()).Fill(float.NaN);
        for (var i = 0; i < arguments.Count; i++) arguments[i].Data?.CopyTo(image, offsets[i]);

        using var arena = VulkanBuffer.Create(device, total, BufferPlacement.Device, "the test arena");
        using var readback = VulkanBuffer.Create(device, total, BufferPlacement.Readback, "the test readback");
        using (var uploader = new VulkanUploader(device, total))
        {
            uploader.Upload(image, arena);
            uploader.Flush();
        }
        using var pool = new VulkanDescriptorPool(device, 1, arguments.Count);
        var set = pool.Allocate(kernel, [.. arguments.Select((a, i) => new VulkanBinding(arena, offsets[i], Math.Max(4, a.Bytes)))]);
        using var commands = device.CreateCommandBuffer();
        commands.Begin();
        commands.BeforeKernels();
        commands.Dispatch(kernel, set, dims);
        commands.KernelsToCopies();
        commands.Copy(arena, 0, readback, 0, total);
        commands.ToHost();
        commands.End();
        device.SubmitAndWait(commands, $"kernel '{kernel.Name}'");
        var results = new byte[arguments.Count][];
        for (var i = 0; i < arguments.Count; i++)
            results[i] = new ReadOnlySpan<byte>(readback.Mapped + offsets[i], (int)arguments[i].Bytes).ToArray();
        return results;
    }
}
