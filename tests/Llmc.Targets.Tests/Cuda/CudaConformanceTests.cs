using Llmc.Ir;
using Llmc.Targets.Tests.Conformance;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// Every conformance case on the GPU against the reference (f32 bound), and the CUDA-only f16/bf16 linear cases within
/// <see cref="CudaOnlyCases.Tolerance"/>; skipped with the reason where no CUDA device can be opened.
/// </summary>
public sealed class CudaConformanceTests
{
    public static TheoryData<string> Cases => new(ConformanceCases.All.Select(c => c.Name));

    public static TheoryData<string> HalfCases => new(CudaOnlyCases.All.Select(c => c.Name));

    [CudaDeviceTheory]
    [MemberData(nameof(Cases))]
    public void Kernel(string name) => ConformanceChecker.Check(ConformanceCases.Get(name), CudaKernelExecutor.ForConformance, tasks: 1);

    [CudaDeviceTheory]
    [MemberData(nameof(HalfCases))]
    public void HalfWeightLinear(string name)
    {
        var c = CudaOnlyCases.Get(name);
        var step = c.Steps[0];
        var expected = new HostTensor(DType.F32, [.. c.Kernel.Result.Shape.Select(d => d.Resolve(step.Symbols))]);
        c.Op.Evaluate(c.Kernel.Attrs, step.Operands, expected);
        var actual = CudaKernelExecutor.ForConformance.Run(c.Kernel, step.Operands, step.Symbols, 1);
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(float.IsFinite(actual.Floats[i]), $"{name}: element {i} is {actual.Floats[i]}");
            diff += Math.Pow(actual.Floats[i] - (double)expected.Floats[i], 2);
            norm += Math.Pow(expected.Floats[i], 2);
        }
        Assert.True(Math.Sqrt(diff / norm) < CudaOnlyCases.Tolerance, $"{name}: relative L2 error {Math.Sqrt(diff / norm):E3}");
    }
}
