using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Runs a case on a target and on the reference and compares every result and state after every step. A failure is
/// an outcome, not an exception: a device that computes wrong values, or a kernel that does not compile or launch, is
/// reported case by case.
/// </summary>
public static class ConformanceChecker
{
    /// <summary>The f32 bound on the relative L2 error <c>|out - ref| / |ref|</c>.</summary>
    public const double F32Tolerance = 1e-5;

    public static CaseOutcome Run(ConformanceCase c, IKernelExecutor executor, int tasks)
    {
        var referenceStates = CloneStates(c);
        var targetStates = CloneStates(c);
        var worst = 0.0;
        for (var s = 0; s < c.Steps.Count; s++)
        {
            var step = c.Steps[s];
            var where = c.Steps.Count == 1 ? $"{tasks} tasks" : $"step {s}, {tasks} tasks";
            var expected = new HostTensor(DType.F32, [.. c.Kernel.Result.Shape.Select(d => d.Resolve(step.Symbols))]);
            c.Op.Evaluate(c.Kernel.Attrs, WithStates(step, referenceStates), expected);
            HostTensor actual;
            try
            {
                actual = executor.Run(c.Kernel, WithStates(step, targetStates), step.Symbols, tasks);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return new CaseOutcome(c.Name, double.NaN, c.Tolerance, $"{where}: {e.GetType().Name}: {e.Message}");
            }
            var comparisons = new List<(HostTensor Expected, HostTensor Actual, string What)> { (expected, actual, "result") };
            foreach (var (i, state) in referenceStates) comparisons.Add((AsFloats(state), AsFloats(targetStates[i]), $"state operand {i}"));
            foreach (var (e, a, what) in comparisons)
            {
                var (error, failure) = Compare(e, a, c.Tolerance);
                worst = Math.Max(worst, error);
                if (failure is not null) return new CaseOutcome(c.Name, error, c.Tolerance, $"{where}, {what}: {failure}");
            }
        }
        return new CaseOutcome(c.Name, worst, c.Tolerance, null);
    }

    /// <summary>
    /// The relative L2 error of <paramref name="actual"/> against <paramref name="expected"/>, and why it fails: a shape
    /// that differs, an element that is not finite, or an error of <paramref name="tolerance"/> or more (null when it passes).
    /// </summary>
    public static (double Error, string? Failure) Compare(HostTensor expected, HostTensor actual, double tolerance = F32Tolerance)
    {
        if (!expected.Shape.SequenceEqual(actual.Shape))
            return (double.NaN, $"shape [{string.Join(", ", actual.Shape)}], expected [{string.Join(", ", expected.Shape)}]");
        var (e, a) = (expected.Floats, actual.Floats);
        double diff = 0, norm = 0;
        for (var i = 0; i < e.Length; i++)
        {
            if (!float.IsFinite(a[i])) return (double.NaN, $"element {i} is {a[i]} (reference {e[i]})");
            diff += ((double)a[i] - e[i]) * ((double)a[i] - e[i]);
            norm += (double)e[i] * e[i];
        }
        var error = norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
        return (error, error < tolerance ? null : $"relative L2 error {error:E3} exceeds {tolerance:E0}");
    }

    private static Dictionary<int, HostTensor> CloneStates(ConformanceCase c) =>
        c.Op.StateOperands.ToDictionary(i => i, i => Clone(c.Steps[0].Operands[i]));

    private static List<HostTensor> WithStates(ConformanceStep step, Dictionary<int, HostTensor> states) =>
        [.. step.Operands.Select((t, i) => states.TryGetValue(i, out var state) ? state : t)];

    /// <summary>A copy of <paramref name="t"/> that a run may change without changing it.</summary>
    internal static HostTensor Clone(HostTensor t) =>
        t.F is { } f ? new HostTensor([.. t.Shape], (float[])f.Clone())
        : t.P is { } p ? new HostTensor(t.DType, [.. t.Shape], (byte[])p.Clone())
        : new HostTensor([.. t.Shape], (int[])t.Ints.Clone());

    /// <summary>A state as the values it holds: a kv8 cache dequantized (scale · code), anything else as it is.</summary>
    private static HostTensor AsFloats(HostTensor state)
    {
        if (state.DType != DType.KV8) return state;
        var (rows, width) = (state.Dim(0) * state.Dim(1), state.Dim(2) * state.Dim(3));
        var view = KvCacheView.Of(state, state.Dim(2), state.Dim(3));
        var values = new float[rows * width];
        for (var p = 0; p < rows; p++)
            for (var i = 0; i < width; i++) values[p * width + i] = (float)view[p, i];
        return new HostTensor([rows, width], values);
    }
}
