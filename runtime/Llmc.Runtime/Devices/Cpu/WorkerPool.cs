using System.Runtime.ExceptionServices;

namespace Llmc.Runtime.Devices.Cpu;

/// <summary>
/// Runs a CPU kernel as <see cref="Tasks"/> concurrent tasks: the calling thread runs task 0 and one dedicated
/// thread per other task runs the rest. Workers spin briefly between launches (kernels come in quick succession
/// during a step) and then block, so an idle engine costs no CPU. A launch allocates nothing; the first exception
/// a task throws is rethrown to the caller once every task has finished.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
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
    private int _pending;
    private int _running;
    private Exception? _failure;
    private volatile bool _disposed;

    /// <param name="tasks">Tasks per launch (threads including the caller); 0 means <see cref="Environment.ProcessorCount"/>.</param>
    public WorkerPool(int tasks = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tasks);
        Tasks = tasks == 0 ? Environment.ProcessorCount : tasks;
        _workers = new Thread[Tasks - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            var task = i + 1;
            _workers[i] = new Thread(() => Work(task)) { IsBackground = true, Name = $"llmc-cpu-{task}" };
            _workers[i].Start();
        }
    }

    /// <summary>How many tasks each launch runs.</summary>
    public int Tasks { get; }

    /// <summary>
    /// Runs <paramref name="kernel"/> (a <c>delegate* managed&lt;int, int, nint*, int*, void&gt;</c>) for every task and
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
            _pending = _workers.Length;
            // The full fence of Interlocked.Increment publishes the launch before any worker can see the new generation.
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_gate) Monitor.PulseAll(_gate);

            RunTask(0);
            if (_workers.Length > 0) AwaitWorkers();

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

    private void RunTask(int task)
    {
        try
        {
            ((delegate* managed<int, int, nint*, int*, void>)_kernel)(task, Tasks, _args, _dims);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
        }
    }

    private void AwaitWorkers()
    {
        var spinner = new SpinWait();
        for (var i = 0; i < SpinIterations && Volatile.Read(ref _pending) > 0; i++) spinner.SpinOnce(sleep1Threshold: -1);
        // A worker of the previous launch may set the event late, so a wake-up is trusted only once the count says so.
        while (Volatile.Read(ref _pending) > 0)
        {
            _finished.Wait();
            _finished.Reset();
        }
    }

    private void Work(int task)
    {
        var seen = 0;
        while (true)
        {
            seen = AwaitLaunch(seen);
            if (_disposed) return;
            RunTask(task);
            if (Interlocked.Decrement(ref _pending) == 0) _finished.Set();
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
