using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Llmc.Runtime.Benchmarking;

/// <summary>
/// Measures the machine's peak attainable memory read bandwidth, the ceiling of batch-1 decode. A buffer far larger than
/// the caches is cut into chunks that dedicated threads (one per core) claim from a shared counter and read with the
/// widest vector loads the CPU has, several accumulators deep. Claiming chunks instead of fixed slices keeps a core that
/// another process is using from holding the whole trial up: the free cores read its share. Each of several trials
/// (after a warm-up one that starts the threads and faults the pages in) is timed; the best is the roofline, and the
/// spread shows how much the machine's load moved the others.
/// </summary>
public static unsafe class MemoryBandwidthProbe
{
    public const long DefaultBytes = 256L << 20;

    public const int DefaultTrials = 40;

    // Big enough that claiming one is negligible next to reading it, small enough that the last ones balance the cores.
    private const long ChunkBytes = 1L << 20;

    /// <param name="bytes">Buffer size; rounded down to whole chunks.</param>
    /// <param name="trials">Timed trials after the warm-up.</param>
    /// <param name="threads">Reader threads (default: one per core).</param>
    public static BandwidthMeasurement Measure(long bytes = DefaultBytes, int trials = DefaultTrials, int? threads = null)
    {
        var workers = threads ?? Environment.ProcessorCount;
        if (workers < 1) throw new LlmcException($"threads must be at least 1, got {workers}");
        if (trials < 1) throw new LlmcException($"bandwidth trials must be at least 1, got {trials}");
        var chunks = bytes / ChunkBytes;
        if (chunks < workers) throw new LlmcException($"a {bytes}-byte buffer is too small to measure bandwidth with {workers} threads");
        var buffer = (byte*)NativeMemory.AlignedAlloc((nuint)(chunks * ChunkBytes), 64);
        try
        {
            // Untouched pages all map to one shared zero page, which reads from cache; writing commits real memory.
            NativeMemory.Fill(buffer, (nuint)(chunks * ChunkBytes), 1);
            using var readers = new ReaderThreads(workers, (nint)buffer, chunks);
            readers.RunTrial();
            var samples = new List<double>(trials);
            for (var trial = 0; trial < trials; trial++)
                samples.Add(chunks * ChunkBytes / readers.RunTrial().TotalSeconds / 1e9);
            return new BandwidthMeasurement(Spread.Of(samples), workers, trials);
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>Threads that, per trial, read every chunk of the buffer once between them.</summary>
    private sealed class ReaderThreads : IDisposable
    {
        private readonly Thread[] _threads;
        private readonly Barrier _start;
        private readonly Barrier _done;
        private readonly nint _buffer;
        private readonly long _chunks;
        private long _next;
        private bool _stopping;

        // Written after each read so the JIT cannot drop the loads as dead code.
        private ulong _sink;

        public ReaderThreads(int count, nint buffer, long chunks)
        {
            (_buffer, _chunks) = (buffer, chunks);
            _start = new Barrier(count + 1);
            _done = new Barrier(count + 1);
            _threads = [.. Enumerable.Range(0, count).Select(i => new Thread(Loop) { IsBackground = true, Name = $"llmc bandwidth {i}" })];
            foreach (var thread in _threads) thread.Start();
        }

        public TimeSpan RunTrial()
        {
            _next = 0;
            var clock = Stopwatch.StartNew();
            _start.SignalAndWait();
            _done.SignalAndWait();
            return clock.Elapsed;
        }

        public void Dispose()
        {
            _stopping = true;
            _start.SignalAndWait();
            foreach (var thread in _threads) thread.Join();
            _start.Dispose();
            _done.Dispose();
        }

        private void Loop()
        {
            while (true)
            {
                _start.SignalAndWait();
                if (Volatile.Read(ref _stopping)) return;
                ulong sink = 0;
                for (long chunk; (chunk = Interlocked.Increment(ref _next) - 1) < _chunks;)
                    sink ^= Read((byte*)_buffer + chunk * ChunkBytes, ChunkBytes);
                Interlocked.Add(ref _sink, sink);
                _done.SignalAndWait();
            }
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes (a multiple of 256) with four independent accumulators to keep loads in flight.</summary>
    private static ulong Read(byte* p, long length)
    {
        var end = p + length;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<ulong> a = default, b = default, c = default, d = default;
            for (; p < end; p += 256)
            {
                a ^= Vector512.Load((ulong*)p);
                b ^= Vector512.Load((ulong*)(p + 64));
                c ^= Vector512.Load((ulong*)(p + 128));
                d ^= Vector512.Load((ulong*)(p + 192));
            }
            return Vector512.Sum(a ^ b ^ c ^ d);
        }
        Vector256<ulong> e = default, f = default, g = default, h = default;
        for (; p < end; p += 128)
        {
            e ^= Vector256.Load((ulong*)p);
            f ^= Vector256.Load((ulong*)(p + 32));
            g ^= Vector256.Load((ulong*)(p + 64));
            h ^= Vector256.Load((ulong*)(p + 96));
        }
        return Vector256.Sum(e ^ f ^ g ^ h);
    }
}
