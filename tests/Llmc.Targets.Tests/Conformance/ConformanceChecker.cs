using Llmc.Ir;

namespace Llmc.Targets.Tests.Conformance;

/// <summary>Runs a case on a target and on the reference and compares every result and state after every step.</summary>
public static class ConformanceChecker
{
    /// <summary>The f32 bound on the relative L2 error <c>|out - ref| / |ref|</c>.</summary>
    public const double F32Tolerance = 1e-5;

    public static void Check(ConformanceCase c, IKernelExecutor executor, int tasks)
    {
        var referenceStates = CloneStates(c);
        var targetStates = CloneStates(c);
        for (var s = 0; s < c.Steps.Count; s++)
        {
            var step = c.Steps[s];
            var where = $"{c.Name}, step {s}, {tasks} tasks";
            var expected = new HostTensor(DType.F32, [.. c.Kernel.Result.Shape.Select(d => d.Resolve(step.Symbols))]);
            c.Op.Evaluate(c.Kernel.Attrs, WithStates(step, referenceStates), expected);
            var actual = executor.Run(c.Kernel, WithStates(step, targetStates), step.Symbols, tasks);
            Compare(expected, actual, where + ", result");
            foreach (var (i, state) in referenceStates) Compare(state, targetStates[i], $"{where}, state operand {i}");
        }
    }

    /// <summary>Fails unless both are finite and within <see cref="F32Tolerance"/> relative L2 of each other.</summary>
    public static void Compare(HostTensor expected, HostTensor actual, string where)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{where}: shape [{string.Join(", ", actual.Shape)}], expected [{string.Join(", ", expected.Shape)}]");
        var (e, a) = (expected.Floats, actual.Floats);
        double diff = 0, norm = 0;
        for (var i = 0; i < e.Length; i++)
        {
            Assert.True(float.IsFinite(a[i]), $"{where}: element {i} is {a[i]} (reference {e[i]})");
            diff += ((double)a[i] - e[i]) * ((double)a[i] - e[i]);
            norm += (double)e[i] * e[i];
        }
        var error = norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
        Assert.True(error < F32Tolerance, $"{where}: relative L2 error {error:E3} exceeds {F32Tolerance:E0}");
    }

    private static Dictionary<int, HostTensor> CloneStates(ConformanceCase c) =>
        c.Op.StateOperands.ToDictionary(i => i, i => Clone(c.Steps[0].Operands[i]));

    private static List<HostTensor> WithStates(ConformanceStep step, Dictionary<int, HostTensor> states) =>
        [.. step.Operands.Select((t, i) => states.TryGetValue(i, out var state) ? state : t)];

    private static HostTensor Clone(HostTensor t) =>
        t.F is { } f ? new HostTensor([.. t.Shape], (float[])f.Clone()) : new HostTensor([.. t.Shape], (int[])t.Ints.Clone());
}
