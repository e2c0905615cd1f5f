using Llmc.Ir;
using Llmc.Ir.Ops;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Cases for the CUDA-only kernel variants beyond the shared conformance set: the linear family on f16 and bf16
/// weights, whose prefill steps (more than one row) take the tensor-core path, with more prefill rows than the shared
/// half-weight cases, and those shared cases too. Weights are random values exactly representable in their type. The
/// tensor cores round the activations to the weights' type, so cases with a prefill step are held to
/// <see cref="Tolerance"/> instead of the f32 bound.
/// </summary>
public static class CudaOnlyCases
{
    /// <summary>Relative L2 bound for kernels that round activations to f16 or bf16.</summary>
    public const double Tolerance = 5e-3;

    public static IReadOnlyList<ConformanceCase> All { get; } = [.. Build(), .. ConformanceCases.HalfWeights.Select(OnTensorCores)];

    public static ConformanceCase Get(string name) => All.Single(c => c.Name == name);

    private static IEnumerable<ConformanceCase> Build()
    {
        foreach (var dtype in new[] { DType.F16, DType.BF16 })
        {
            foreach (var (rows, k, n) in new[] { (1, 64, 72), (17, 64, 72), (70, 65, 37), (3, 172, 130), (130, 172, 64) })
                yield return HalfLinear(OpRegistry.Get("linear"), dtype, rows, k, n);
            foreach (var op in FusedLinearOp.All)
                foreach (var (rows, k, n) in new[] { (1, 65, 38), (33, 172, 38) })
                    yield return HalfLinear(op, dtype, rows, k, n);
        }
    }

    /// <summary>A shared half-weight case as CUDA runs it: the tensor-core bound where a linear-family step has several rows.</summary>
    private static ConformanceCase OnTensorCores(ConformanceCase c) =>
        FusedLinearOp.IsLinearFamily(c.Op) && c.Steps.Any(s => s.Symbols["seq"] > 1) ? c with { Tolerance = Math.Max(c.Tolerance, Tolerance) } : c;

    private static ConformanceCase HalfLinear(OpDef op, DType dtype, int rows, int k, int n)
    {
        var name = $"{op.Name} {dtype.Name()} rows={rows} k={k} n={n}";
        var random = new Random(name.Aggregate(17, (h, c) => unchecked(h * 31 + c)));
        HostTensor Floats(int[] shape, double magnitude) =>
            new(shape, [.. Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)((random.NextDouble() * 2 - 1) * magnitude))]);
        var w = new HostTensor(dtype, [n, k]);
        for (var i = 0; i < w.Length; i++) w.Floats[i] = HalfFloats.Representable(dtype, (float)((random.NextDouble() * 2 - 1) * 0.5));
        var types = new List<TensorType> { new(DType.F32, Dim.Seq, k), new(dtype, n, k) };
        var data = new List<HostTensor> { Floats([rows, k], 1), w };
        var attrs = new Attributes();
        var (prologue, epilogue) = FusedLinearOp.PartsOf(op);
        if (prologue == LinearPrologue.RmsNorm)
        {
            types.Add(new TensorType(DType.F32, k));
            data.Add(Floats([k], 1));
            attrs.Set("eps", 1e-5);
        }
        if (epilogue == LinearEpilogue.Residual)
        {
            types.Add(new TensorType(DType.F32, Dim.Seq, n));
            data.Add(Floats([rows, n], 1));
        }
        if (epilogue == LinearEpilogue.Bias)
        {
            types.Add(new TensorType(DType.F32, n));
            data.Add(Floats([n], 1));
        }
        var instance = new KernelInstance(op.Name, types, op.InferType(types, attrs), attrs);
        return new ConformanceCase(name, instance, [new ConformanceStep(data, new Dictionary<string, int> { ["seq"] = rows })], Tolerance);
    }
}
