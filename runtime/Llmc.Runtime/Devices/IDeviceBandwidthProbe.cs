using Llmc.Runtime.Benchmarking;

namespace Llmc.Runtime.Devices;

/// <summary>
/// An executor that can measure its own device's memory bandwidth, the ceiling of batch-1 decode on a GPU (whose weights
/// live in device memory, not in the host DRAM <see cref="MemoryBandwidthProbe"/> measures), for <c>llmc bench</c>.
/// </summary>
public interface IDeviceBandwidthProbe
{
    /// <summary>
    /// Times <paramref name="trials"/> copies (after a warm-up one) between two device-local buffers it allocates and frees;
    /// see <see cref="DeviceCopyBandwidth"/>.
    /// </summary>
    BandwidthMeasurement MeasureDeviceBandwidth(int trials);
}
