namespace Llmc.Targets.Tests;

/// <summary>The conformance checker as a test assertion: fails with the outcome's reason.</summary>
public static class ConformanceAssert
{
    public static void Passes(ConformanceCase c, IKernelExecutor executor, int tasks)
    {
        var outcome = ConformanceChecker.Run(c, executor, tasks);
        Assert.True(outcome.Passed, $"{c.Name}: {outcome.Failure}");
    }
}
