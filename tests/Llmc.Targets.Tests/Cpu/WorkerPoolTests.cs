using Llmc.Runtime.Devices.Cpu;

namespace Llmc.Targets.Tests.Cpu;

public sealed unsafe class WorkerPoolTests
{
    // args[0] points at one counter per task; each task adds its task count there so a wrong count shows too.
    private static void CountTask(int task, int tasks, nint* args, int* dims) =>
        Interlocked.Add(ref ((int*)args[0])[task], tasks + dims[0]);

    private static void FailOnLastTask(int task, int tasks, nint* args, int* dims)
    {
        if (task == tasks - 1) throw new InvalidOperationException($"task {task} failed");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Every_task_runs_once_per_launch(int tasks)
    {
        const int launches = 500;
        using var pool = new WorkerPool(tasks);
        var counters = new int[tasks];
        var dims = stackalloc int[] { 1000 };
        fixed (int* c = counters)
        {
            var args = stackalloc nint[] { (nint)c };
            for (var i = 0; i < launches; i++) pool.Run((nint)(delegate* managed<int, int, nint*, int*, void>)&CountTask, args, dims);
        }
        Assert.All(counters, count => Assert.Equal(launches * (tasks + 1000), count));
    }

    [Fact]
    public void Launches_after_workers_fall_asleep_still_run()
    {
        using var pool = new WorkerPool(3);
        var counters = new int[3];
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
        Assert.All(counters, count => Assert.Equal(9, count));
    }

    [Fact]
    public void An_exception_in_a_task_reaches_the_caller_and_the_pool_keeps_working()
    {
        using var pool = new WorkerPool(3);
        var failing = (nint)(delegate* managed<int, int, nint*, int*, void>)&FailOnLastTask;
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(failing, null, null));
        Assert.Equal("task 2 failed", error.Message);

        var counters = new int[3];
        var dims = stackalloc int[] { 0 };
        fixed (int* c = counters)
        {
            var args = stackalloc nint[] { (nint)c };
            pool.Run((nint)(delegate* managed<int, int, nint*, int*, void>)&CountTask, args, dims);
        }
        Assert.All(counters, count => Assert.Equal(3, count));
    }

    [Fact]
    public void Default_task_count_is_the_processor_count()
    {
        using var pool = new WorkerPool();
        Assert.Equal(Environment.ProcessorCount, pool.Tasks);
    }
}
