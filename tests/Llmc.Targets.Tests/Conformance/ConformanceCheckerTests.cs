namespace Llmc.Targets.Tests;

/// <summary>
/// The checker reports a device that computes wrong values, or a kernel that fails, as that case's outcome with the
/// reason (so <c>llmc selftest</c> lists it and goes on), never as a crash.
/// </summary>
public sealed class ConformanceCheckerTests
{
    private static readonly ConformanceCase Case = ConformanceCases.Get("rms_norm rows=9 width=65");

    [Fact]
    public void A_correct_result_passes_with_its_error()
    {
        var outcome = ConformanceChecker.Run(Case, new Reference(), tasks: 1);
        Assert.True(outcome.Passed, outcome.Failure);
        Assert.Equal(0, outcome.Error);
    }

    [Fact]
    public void A_wrong_element_fails_with_the_error_and_the_bound()
    {
        var outcome = ConformanceChecker.Run(Case, new Reference(r => r.Floats[100] += 0.5f), tasks: 1);
        Assert.False(outcome.Passed);
        Assert.Contains("relative L2 error", outcome.Failure);
        Assert.Contains("exceeds 1E-005", outcome.Failure);
        Assert.True(outcome.Error > ConformanceChecker.F32Tolerance);
    }

    [Fact]
    public void A_nan_left_in_the_result_fails_naming_the_element()
    {
        var outcome = ConformanceChecker.Run(Case, new Reference(r => r.Floats[7] = float.NaN), tasks: 1);
        Assert.False(outcome.Passed);
        Assert.Contains("element 7 is NaN", outcome.Failure);
    }

    [Fact]
    public void A_kernel_that_throws_fails_its_case_with_the_message()
    {
        var outcome = ConformanceChecker.Run(Case, new Reference(_ => throw new TargetException("vulkan: kernel 'k' failed to compile")), tasks: 1);
        Assert.False(outcome.Passed);
        Assert.Contains("TargetException: vulkan: kernel 'k' failed to compile", outcome.Failure);
        Assert.True(double.IsNaN(outcome.Error));
    }

    /// <summary>The reference itself as an executor, with a fault applied to its result.</summary>
    private sealed class Reference(Action<HostTensor>? fault = null) : IKernelExecutor
    {
        public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks)
        {
            var result = new HostTensor(DType.F32, [.. kernel.Result.Shape.Select(d => d.Resolve(symbols))]);
            OpRegistry.Get(kernel.Template).Evaluate(kernel.Attrs, operands, result);
            fault?.Invoke(result);
            return result;
        }
    }
}
