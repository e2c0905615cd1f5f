using Llmc.Runtime.Devices.Cpu;

namespace Llmc.Targets.Tests.Cpu;

public sealed unsafe class WorkerPoolTests
{
    // args[0] points at one counter per share; each share adds its share count there so a wrong count shows too.
    private static void CountTask(int task, int tasks, nint* args, int* dims) =>
        Interlocked.Add(ref ((int*)args[0])[task], tasks + dims[0]);

    private static void FailOnLastTask(int task, int tasks, nint* args, int* dims)
    {
        if (task == tasks - 1) throw new InvalidOperationException($"task {task} failed");
    }

    // Share 0 waits (up to dims[0] ms) until every other share has run: with shares fixed to threads, the other shares
    // of share 0's thread could not run, and it would wait out its deadline. args[0] counts the other shares done;
    // args[1] gets 1 when share 0 saw them all in time.
    private static void StallFirstShare(int task, int tasks, nint* args, int* dims)
    {
        var done = (int*)args[0];
        if (task != 0)
        {
            Interlocked.Increment(ref *done);
            return;
        }
        var deadline = Environment.TickCount64 + dims[0];
        while (Volatile.Read(ref *done) < tasks - 1 && Environment.TickCount64 < deadline) Thread.Sleep(1);
        *(int*)args[1] = Volatile.Read(ref *done) == tasks - 1 ? 1 : 0;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Every_share_runs_once_per_launch(int threads)
    {
        const int launches = 500;
        using var pool = new WorkerPool(threads);
        Assert.Equal(threads == 1 ? 1 : threads * WorkerPool.SharesPerThread, pool.Tasks);
        var counters = new int[pool.Tasks];
        var dims = stackalloc int[] { 1000 };
        fixed (int* c = counters)
        {
            var args = stackalloc nint[] { (nint)c };
            for (var i = 0; i < launches; i++) pool.Run((nint)(delegate* managed<int, int, nint*, int*, void>)&CountTask, args, dims);
        }
        Assert.All(counters, count => Assert.Equal(launches * (pool.Tasks + 1000), count));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void The_other_threads_take_the_shares_of_a_stalled_one(int threads)
    {
        using var pool = new WorkerPool(threads);
        int done, inTime;
        var dims = stackalloc int[] { 10_000 };
        var args = stackalloc nint[] { (nint)(&done), (nint)(&inTime) };
        for (var launch = 0; launch < 20; launch++)
        {
            (done, inTime) = (0, 0);
            pool.Run((nint)(delegate* managed<int, int, nint*, int*, void>)&StallFirstShare, args, dims);
            Assert.Equal(1, inTime);
            Assert.Equal(pool.Tasks - 1, done);
        }
    }

    [Fact]
    public void Launches_after_workers_fall_asleep_still_run()
    {
        using var pool = new WorkerPool(3);
        var counters = new int[pool.Tasks];
        var dims = stackalloc int[] { 0 };
        fixed (int* c = counters)
        {
            var args = stackalloc nint[] { (nint)c };
            for (var i = 0; i < 3; i++)
            {
                Thread.Sleep(50);
                pool.Run((nint)(delegate* managed<int, int, nint*, int*, void>)&CountTask, args, dims);
            }
        }
        Assert.All(counters, count => Assert.Equal(3 * pool.Tasks, count));
    }

    [Fact]
    public void An_exception_in_a_share_reaches_the_caller_and_the_pool_keeps_working()
    {
        using var pool = new WorkerPool(3);
        var failing = (nint)(delegate* managed<int, int, nint*, int*, void>)&FailOnLastTask;
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(failing, null, null));
        Assert.Equal($"task {pool.Tasks - 1} failed", error.Message);

        var counters = new int[pool.Tasks];
        var dims = stackalloc int[] { 0 };
        fixed (int* c = counters)
        {
            var args = stackalloc nint[] { (nint)c };
            pool.Run((nint)(delegate* managed<int, int, nint*, int*, void>)&CountTask, args, dims);
        }
        Assert.All(counters, count => Assert.Equal(pool.Tasks, count));
    }

    [Fact]
    public void Default_thread_count_is_the_processor_count()
    {
        using var pool = new WorkerPool();
        Assert.Equal(Environment.ProcessorCount, pool.Threads);
    }
}
