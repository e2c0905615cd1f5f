using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Llmc.Runtime.Benchmarking;

/// <summary>
/// Measures the machine's sustainable memory read bandwidth, the ceiling of batch-1 decode: every thread streams its own
/// slice of a buffer far larger than the caches with the widest vector loads the CPU has. The best of a few runs is kept,
/// since slower runs only measure interference.
/// </summary>
public static unsafe class MemoryBandwidthProbe
{
    public const long DefaultBytes = 1L << 30;

    private const int DefaultRuns = 8;

    // Written after each read so the JIT cannot drop the loads as dead code.
    private static ulong _sink;

    /// <returns>Bytes read per second in GB/s (10^9 bytes).</returns>
    public static double MeasureGigabytesPerSecond(long bytes = DefaultBytes, int runs = DefaultRuns, int? threads = null)
    {
        var workers = threads ?? Environment.ProcessorCount;
        if (workers < 1) throw new LlmcException($"threads must be at least 1, got {workers}");
        // Each worker's slice is a whole number of 256-byte blocks, so the read loop needs no tail.
        var slice = bytes / workers / 256 * 256;
        if (slice == 0) throw new LlmcException($"a {bytes}-byte buffer is too small to measure bandwidth with {workers} threads");
        var buffer = (byte*)NativeMemory.AlignedAlloc((nuint)(slice * workers), 64);
        try
        {
            // Untouched pages all map to one shared zero page, which reads from cache; writing commits real memory.
            NativeMemory.Fill(buffer, (nuint)(slice * workers), 1);
            var start = (nint)buffer;
            var best = 0.0;
            for (var run = 0; run < runs; run++)
            {
                var clock = Stopwatch.StartNew();
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers },
                    w => Interlocked.Add(ref _sink, ReadAll((byte*)start + w * slice, slice)));
                best = Math.Max(best, slice * workers / clock.Elapsed.TotalSeconds);
            }
            return best / 1e9;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes (a multiple of 256) with four independent accumulators to keep loads in flight.</summary>
    private static ulong ReadAll(byte* p, long length)
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
