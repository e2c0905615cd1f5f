using Llmc.Runtime.Devices.Vulkan.Interop;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>
/// GPU time of each of a submission's steps from timestamp queries: one stamp before the first step and one after each.
/// Only for queues that write timestamps (<see cref="VulkanPhysicalDevice.TimestampValidBits"/> &gt; 0).
/// </summary>
public sealed unsafe class VulkanTimestamps : IDisposable
{
    private readonly VulkanDevice _device;
    private readonly ulong _pool;
    private readonly ulong[] _stamps;
    private readonly ulong _mask;
    private bool _disposed;

    public VulkanTimestamps(VulkanDevice device, int steps)
    {
        if (!IsSupported(device.Physical))
            throw new LlmcException($"Vulkan {device.Physical}'s compute queue cannot write timestamps");
        _device = device;
        _stamps = new ulong[steps + 1];
        var bits = device.Physical.TimestampValidBits;
        _mask = bits >= 64 ? ulong.MaxValue : (1UL << (int)bits) - 1;
        var info = new VkQueryPoolCreateInfo { SType = VkStructureType.QueryPoolCreateInfo, QueryType = Vk.QueryTypeTimestamp, QueryCount = (uint)_stamps.Length };
        ulong pool;
        VkCheck.Ok(device.Api.CreateQueryPool(device.Handle, &info, 0, &pool), "creating a timestamp query pool");
        _pool = pool;
    }

    public int Steps => _stamps.Length - 1;

    public static bool IsSupported(VulkanPhysicalDevice device) => device.TimestampValidBits > 0;

    /// <summary>Records the queries' reset and the stamp before the first step; call before recording the steps.</summary>
    public void Start(VulkanCommandBuffer commands)
    {
        commands.ResetQueries(_pool, (uint)_stamps.Length);
        commands.WriteTimestamp(_pool, 0);
    }

    /// <summary>Records the stamp after step <paramref name="step"/> (0-based).</summary>
    public void AfterStep(VulkanCommandBuffer commands, int step) => commands.WriteTimestamp(_pool, (uint)step + 1);

    /// <summary>After the submission finished: each step's GPU time in milliseconds, written to <paramref name="milliseconds"/>.</summary>
    public void Read(Span<double> milliseconds)
    {
        fixed (ulong* stamps = _stamps)
            VkCheck.Ok(_device.Api.GetQueryPoolResults(_device.Handle, _pool, 0, (uint)_stamps.Length, (nuint)(_stamps.Length * sizeof(ulong)), stamps,
                sizeof(ulong), Vk.QueryResult64Bit | Vk.QueryResultWait), "reading timestamps");
        var period = _device.Physical.TimestampPeriodNs;
        for (var i = 0; i < Steps && i < milliseconds.Length; i++)
            milliseconds[i] = ((_stamps[i + 1] - _stamps[i]) & _mask) * period / 1e6;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device.Api.DestroyQueryPool(_device.Handle, _pool, 0);
    }
}
