using System.Diagnostics;
using Llmc.Runtime.Benchmarking;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>
/// Device-local memory bandwidth of a Vulkan device: <c>vkCmdCopyBuffer</c> between two device-local buffers, one copy per
/// submission, timed by timestamp queries around the copy (by the host clock around the submission where the compute queue
/// has no timestamps). A copy needs no shader, so the runtime stays free of shader compilers.
/// </summary>
public static class VulkanBandwidthProbe
{
    public static BandwidthMeasurement Measure(VulkanDevice device, int trials)
    {
        var bytes = DeviceCopyBandwidth.BufferBytes(device.Physical.DeviceLocalBytes);
        using var source = VulkanBuffer.Create(device, bytes, BufferPlacement.Device, "the bandwidth probe's source buffer");
        using var destination = VulkanBuffer.Create(device, bytes, BufferPlacement.Device, "the bandwidth probe's destination buffer");
        using var commands = device.CreateCommandBuffer();
        using var timestamps = VulkanTimestamps.IsSupported(device.Physical) ? new VulkanTimestamps(device, 1) : null;

        // Writing the source commits its memory: where device memory is host pages (lavapipe), untouched ones read as one zero page.
        commands.Begin();
        commands.Zero(source);
        commands.End();
        device.SubmitAndWait(commands, "filling the bandwidth probe's buffer");

        var milliseconds = new double[1];
        return DeviceCopyBandwidth.Measure($"Vulkan {device.Physical}", bytes, trials, () =>
        {
            commands.Begin();
            timestamps?.Start(commands);
            commands.Copy(source, 0, destination, 0, bytes);
            timestamps?.AfterStep(commands, 0);
            commands.End();
            var clock = Stopwatch.StartNew();
            device.SubmitAndWait(commands, "a bandwidth probe copy");
            if (timestamps is null) return clock.Elapsed.TotalSeconds;
            timestamps.Read(milliseconds);
            return milliseconds[0] / 1e3;
        });
    }
}
