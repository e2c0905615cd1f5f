using Llmc.Ir;
using Llmc.Ir.Quantization;

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
            Compare(expected, actual, where + ", result", c.Tolerance);
            foreach (var (i, state) in referenceStates) Compare(AsFloats(state), AsFloats(targetStates[i]), $"{where}, state operand {i}", c.Tolerance);
        }
    }

    /// <summary>Fails unless both are finite and within <paramref name="tolerance"/> relative L2 of each other.</summary>
    public static void Compare(HostTensor expected, HostTensor actual, string where, double tolerance = F32Tolerance)
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
        Assert.True(error < tolerance, $"{where}: relative L2 error {error:E3} exceeds {tolerance:E0}");
    }

    private static Dictionary<int, HostTensor> CloneStates(ConformanceCase c) =>
        c.Op.StateOperands.ToDictionary(i => i, i => Clone(c.Steps[0].Operands[i]));

    private static List<HostTensor> WithStates(ConformanceStep step, Dictionary<int, HostTensor> states) =>
        [.. step.Operands.Select((t, i) => states.TryGetValue(i, out var state) ? state : t)];

    private static HostTensor Clone(HostTensor t) =>
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
