using System.Runtime.ExceptionServices;

namespace Llmc.Runtime.Devices.Cpu;

/// <summary>
/// Runs a CPU kernel as <see cref="Tasks"/> shares of its work on <see cref="Threads"/> threads: the calling thread and
/// one dedicated thread per other core. The shares outnumber the threads and each thread takes the next share as it
/// comes free, so a thread the OS delays (a server's network threads, another process) holds up only the share it
/// runs, not a fixed half of every kernel. Workers spin briefly between launches (kernels come in quick succession
/// during a step) and then block, so an idle engine costs no CPU. A launch allocates nothing; the first exception a
/// share throws is rethrown to the caller once every share has finished.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>Shares per thread when there is more than one thread: enough that a late thread's work spreads out, few enough that each share stays large.</summary>
    public const int SharesPerThread = 4;

    // Spin iterations before a waiting thread blocks; SpinWait yields its time slice after the first few,
    // so spinning stays cheap when there are more threads than cores.
    private const int SpinIterations = 2000;

    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _finished = new(initialState: false, spinCount: 100);

    private nint _kernel;
    private nint* _args;
    private int* _dims;
    private int _generation;
    private int _sleepers;
    private int _nextShare;
    private int _unfinished;
    private int _running;
    private Exception? _failure;
    private volatile bool _disposed;

    /// <param name="threads">Threads per launch, the caller's included; 0 means <see cref="Environment.ProcessorCount"/>.</param>
    public WorkerPool(int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        Tasks = Threads == 1 ? 1 : Threads * SharesPerThread;
        _nextShare = Tasks;
        _workers = new Thread[Threads - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"llmc-cpu-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that run each launch, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>Shares each launch is cut into: the kernel's <c>tasks</c> (<see cref="CpuKernelAbi"/>).</summary>
    public int Tasks { get; }

    /// <summary>
    /// Runs <paramref name="kernel"/> (a <c>delegate* managed&lt;int, int, nint*, int*, void&gt;</c>) for every share and
    /// returns when all have finished. One launch at a time.
    /// </summary>
    public void Run(nint kernel, nint* args, int* dims)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _running, 1) != 0)
            throw new InvalidOperationException("WorkerPool.Run was called while another launch is in progress");
        try
        {
            _kernel = kernel;
            _args = args;
            _dims = dims;
            _failure = null;
            _unfinished = Tasks;
            // Opening the shares with a full fence publishes the launch first: a worker that takes a share sees its kernel.
            // A worker still looking for shares of the previous launch can take one of these; it runs it with this launch's kernel.
            Interlocked.Exchange(ref _nextShare, 0);
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_gate) Monitor.PulseAll(_gate);

            RunShares();
            if (Volatile.Read(ref _unfinished) > 0) AwaitShares();

            if (_failure is { } failure) ExceptionDispatchInfo.Capture(failure).Throw();
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Interlocked.Increment(ref _generation);
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var worker in _workers) worker.Join();
        _finished.Dispose();
    }

    /// <summary>Takes shares until none are left; whoever finishes the launch's last share wakes the caller.</summary>
    private void RunShares()
    {
        int share;
        while ((share = Interlocked.Increment(ref _nextShare) - 1) < Tasks)
        {
            try
            {
                ((delegate* managed<int, int, nint*, int*, void>)_kernel)(share, Tasks, _args, _dims);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            if (Interlocked.Decrement(ref _unfinished) == 0) _finished.Set();
        }
    }

    private void AwaitShares()
    {
        var spinner = new SpinWait();
        for (var i = 0; i < SpinIterations && Volatile.Read(ref _unfinished) > 0; i++) spinner.SpinOnce(sleep1Threshold: -1);
        // A share of the previous launch may set the event late, so a wake-up is trusted only once the count says so.
        while (Volatile.Read(ref _unfinished) > 0)
        {
            _finished.Wait();
            _finished.Reset();
        }
    }

    private void Work()
    {
        var seen = 0;
        while (true)
        {
            seen = AwaitLaunch(seen);
            if (_disposed) return;
            RunShares();
        }
    }

    /// <summary>Waits until the generation differs from <paramref name="seen"/> and returns the new one.</summary>
    private int AwaitLaunch(int seen)
    {
        var spinner = new SpinWait();
        for (var i = 0; i < SpinIterations; i++)
        {
            var current = Volatile.Read(ref _generation);
            if (current != seen) return current;
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        lock (_gate)
        {
            // Announcing the sleeper with a full fence before re-reading the generation pairs with Run, which bumps
            // the generation before reading the sleeper count: one of the two always sees the other.
            Interlocked.Increment(ref _sleepers);
            int current;
            while ((current = Volatile.Read(ref _generation)) == seen) Monitor.Wait(_gate);
            Interlocked.Decrement(ref _sleepers);
            return current;
        }
    }
}
