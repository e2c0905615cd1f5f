namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>
/// Copies host bytes into device buffers through one mapped staging buffer: copies are recorded until the staging
/// buffer is full, then submitted together. Also zero-fills buffers in the same submissions.
/// </summary>
public sealed unsafe class VulkanUploader : IDisposable
{
    /// <summary>Staging size: large enough to batch many small tensors, small enough to be cheap on any device.</summary>
    public const long StagingBytes = 64L << 20;

    private readonly VulkanDevice _device;
    private readonly VulkanBuffer _staging;
    private readonly VulkanCommandBuffer _commands;
    private long _used;
    private bool _recording;

    public VulkanUploader(VulkanDevice device, long largestUpload = StagingBytes)
    {
        _device = device;
        _staging = VulkanBuffer.Create(device, Math.Clamp(largestUpload, 4, StagingBytes), BufferPlacement.Upload, "the staging buffer");
        _commands = device.CreateCommandBuffer();
    }

    /// <summary>Copies <paramref name="bytes"/> from <paramref name="source"/> to <paramref name="destination"/> at <paramref name="offset"/>.</summary>
    public void Upload(byte* source, long bytes, VulkanBuffer destination, long offset = 0)
    {
        while (bytes > 0)
        {
            if (_used == _staging.Bytes) Flush();
            Recording();
            var chunk = Math.Min(bytes, _staging.Bytes - _used);
            Buffer.MemoryCopy(source, _staging.Mapped + _used, chunk, chunk);
            _commands.Copy(_staging, _used, destination, offset, chunk);
            // Copy regions stay 4-byte aligned, which some devices' transfer queues require.
            _used = Math.Min(_staging.Bytes, (_used + chunk + 3) & ~3L);
            source += chunk;
            bytes -= chunk;
            offset += chunk;
        }
    }

    public void Upload(ReadOnlySpan<byte> source, VulkanBuffer destination, long offset = 0)
    {
        fixed (byte* p = source) Upload(p, source.Length, destination, offset);
    }

    public void Zero(VulkanBuffer buffer)
    {
        Recording();
        _commands.Zero(buffer);
    }

    /// <summary>Submits what is recorded and waits for it; after this every upload so far is on the device.</summary>
    public void Flush()
    {
        if (!_recording) return;
        // No barrier here: every later submission of kernels starts with one that covers these copies.
        _commands.End();
        _device.SubmitAndWait(_commands, "uploading weights");
        (_recording, _used) = (false, 0);
    }

    /// <summary>Frees the staging buffer; uploads not yet flushed are dropped.</summary>
    public void Dispose()
    {
        _commands.Dispose();
        _staging.Dispose();
    }

    private void Recording()
    {
        if (_recording) return;
        _commands.Begin();
        _recording = true;
    }
}
