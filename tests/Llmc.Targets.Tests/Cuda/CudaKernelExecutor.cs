using System.Runtime.InteropServices;
using Llmc.Ir;
using Llmc.Targets.Tests.Conformance;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// Runs the conformance kernels on a GPU through <see cref="CudaKernelRunner"/>: operands are copied to fresh device
/// buffers, the result is poisoned with NaN first, and the result and state operands are copied back.
/// </summary>
public sealed class CudaKernelExecutor : IKernelExecutor, IDisposable
{
    private readonly CudaKernelRunner _runner = new(CudaConformanceBuild.Get());

    private CudaKernelExecutor()
    {
    }

    private static readonly Lazy<CudaKernelExecutor> Shared = new(() => new CudaKernelExecutor());

    /// <summary>The executor for every conformance kernel, created once per process.</summary>
    public static CudaKernelExecutor ForConformance => Shared.Value;

    /// <summary>Runs the kernel once; a GPU launch has no task count, so <paramref name="tasks"/> does not change it.</summary>
    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks)
    {
        var result = new HostTensor(DType.F32, [.. kernel.Result.Shape.Select(d => d.Resolve(symbols))]);
        List<(byte[]? Data, long Bytes)> arguments = [.. operands.Select(Bytes).Select(b => ((byte[]?)b, b.LongLength)), (null, result.Length * 4L)];
        var after = _runner.Run(kernel.Name, arguments, SymbolValues.Of(symbols));
        after[^1].CopyTo(MemoryMarshal.AsBytes(result.Floats.AsSpan()));
        foreach (var state in OpRegistry.Get(kernel.Template).StateOperands)
            after[state].CopyTo(MemoryMarshal.AsBytes(operands[state].Floats.AsSpan()));
        return result;
    }

    public void Dispose() => _runner.Dispose();

    /// <summary>A host tensor as the kernels see it: f32, i32 and packed bytes as they are, f16/bf16 as 16-bit values.</summary>
    private static byte[] Bytes(HostTensor tensor)
    {
        if (tensor.P is { } packed) return packed;
        if (tensor.I is { } ints) return MemoryMarshal.AsBytes(ints.AsSpan()).ToArray();
        if (tensor.DType == DType.F32) return MemoryMarshal.AsBytes(tensor.Floats.AsSpan()).ToArray();
        var halves = tensor.Floats.Select(v => CudaOnlyCases.Bits(tensor.DType, v)).ToArray();
        // Whole 32-bit words: the kernels read the last pair even when the count is odd.
        return [.. MemoryMarshal.AsBytes(halves.AsSpan()), .. new byte[halves.Length % 2 * 2]];
    }
}
