namespace Llmc.Server;

/// <summary>
/// Bounds the sequences a model holds, running and queued: its engine runs <see cref="Runtime.Engine.MaxSequences"/> at
/// once and queues the rest; past the queue's limit a request is refused at once with 429 and Retry-After, so a
/// flood of clients gets told to come back instead of waiting without end.
/// </summary>
public sealed class AdmissionGate(int capacity)
{
    private int _held;

    public int Capacity => capacity;

    /// <summary>Takes room for <paramref name="sequences"/> sequences, or returns false when it would pass the capacity.</summary>
    public bool TryEnter(int sequences)
    {
        while (true)
        {
            var held = Volatile.Read(ref _held);
            if (held + sequences > capacity) return false;
            if (Interlocked.CompareExchange(ref _held, held + sequences, held) == held) return true;
        }
    }

    public void Exit(int sequences) => Interlocked.Add(ref _held, -sequences);
}
