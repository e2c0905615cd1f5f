namespace Llmc.Runtime.Devices.Cuda;

/// <summary>
/// Events recorded on a stream between the plan steps of one forward run, read after it: each step's device
/// milliseconds (the gap between the event before its launch and the one after). Steps run back to back on the
/// stream, so a step's time is its kernel's plus the launch gap, which graphs hide in normal runs.
/// </summary>
internal sealed class CudaStepTimer : IDisposable
{
    private const uint DefaultEventFlags = 0;

    private readonly nint[] _events;

    public CudaStepTimer(int steps)
    {
        _events = new nint[steps + 1];
        try
        {
            for (var i = 0; i < _events.Length; i++) CudaResult.Check(CudaNative.cuEventCreate(out _events[i], DefaultEventFlags), "cuEventCreate");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Records the event before step <paramref name="step"/> (or after the last, for the step count).</summary>
    public void Mark(int step, nint stream) => CudaResult.Check(CudaNative.cuEventRecord(_events[step], stream), "cuEventRecord");

    /// <summary>Waits for the last event and writes each step's milliseconds.</summary>
    public void Read(Span<double> milliseconds)
    {
        CudaResult.Check(CudaNative.cuEventSynchronize(_events[^1]), "cuEventSynchronize");
        for (var i = 0; i < milliseconds.Length; i++)
        {
            CudaResult.Check(CudaNative.cuEventElapsedTime(out var ms, _events[i], _events[i + 1]), "cuEventElapsedTime");
            milliseconds[i] = ms;
        }
    }

    public void Dispose()
    {
        foreach (var e in _events)
            if (e != 0) CudaNative.cuEventDestroy(e);
    }
}
