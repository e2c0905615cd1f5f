using Llmc.Ir;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Runs conformance kernels on a GPU through <see cref="CudaKernelRunner"/>: operands are copied to fresh device
/// buffers, the result is poisoned with NaN first, and the result and state operands are copied back.
/// </summary>
public sealed class CudaKernelExecutor(CompiledKernels compiled, int device = 0) : IKernelExecutor, IDisposable
{
    private readonly CudaKernelRunner _runner = new(compiled, device);

    /// <summary>The GPU the kernels run on, e.g. "NVIDIA H200 (sm_90)".</summary>
    public string Device => _runner.Device;

    /// <summary>Runs the kernel once; a GPU launch has no task count, so <paramref name="tasks"/> does not change it.</summary>
    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks) =>
        Run(kernel, operands, symbols, manyRows: null);

    /// <summary>The fewest rows the kernel's many-rows code runs for; null when it has none.</summary>
    public int? ManyRowsFrom(KernelInstance kernel) => _runner.ManyRowsFrom(kernel.Name);

    /// <summary>
    /// Runs the kernel once with the code the runtime would choose for the step, or with the code
    /// <paramref name="manyRows"/> names (<see cref="CudaKernelRunner.Run"/>).
    /// </summary>
    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, bool? manyRows)
    {
        var result = new HostTensor(DType.F32, [.. kernel.Result.Shape.Select(d => d.Resolve(symbols))]);
        List<(byte[]? Data, long Bytes)> arguments = [.. operands.Select(KernelOperandBytes.Of).Select(b => ((byte[]?)b, b.LongLength)), (null, result.Length * 4L)];
        var after = _runner.Run(kernel.Name, arguments, SymbolValues.Of(symbols), manyRows);
        KernelOperandBytes.CopyBack(after[^1], result);
        foreach (var state in OpRegistry.Get(kernel.Template).StateOperands) KernelOperandBytes.CopyBack(after[state], operands[state]);
        return result;
    }

    public void Dispose() => _runner.Dispose();
}
