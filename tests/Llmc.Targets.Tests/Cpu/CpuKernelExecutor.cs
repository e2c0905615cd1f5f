using System.Runtime.InteropServices;
using Llmc.Ir;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Targets.Cpu;
using Llmc.Targets.Tests.Conformance;

namespace Llmc.Targets.Tests.Cpu;

/// <summary>
/// Runs CPU kernels exactly as the runtime will: one <see cref="CpuTarget.Compile"/> for all kernels, the assembly
/// loaded by <see cref="CpuKernelLibrary"/>, launches through a <see cref="WorkerPool"/> per task count.
/// </summary>
public sealed unsafe class CpuKernelExecutor : IKernelExecutor, IDisposable
{
    private readonly CpuKernelLibrary _library;
    private readonly Dictionary<int, WorkerPool> _pools = [];
    private readonly Lock _launch = new();

    public CpuKernelExecutor(CpuTarget target, IReadOnlyList<KernelInstance> kernels)
    {
        var compiled = target.Compile(kernels);
        _library = CpuKernelLibrary.Load(compiled.Sections[Runtime.Devices.Cpu.CpuKernelAbi.Section],
            compiled.Kernels.Select(k => (k.Instance.Name, k.Entry)));
    }

    /// <summary>The executor of <paramref name="target"/> with every conformance case's kernel, compiled once per process.</summary>
    public static CpuKernelExecutor ForConformance(string target) => Shared[target].Value;

    private static readonly Dictionary<string, Lazy<CpuKernelExecutor>> Shared = CpuTarget.Names.ToDictionary(
        name => name, name => new Lazy<CpuKernelExecutor>(() => new CpuKernelExecutor(new CpuTarget(name), [.. ConformanceCases.Every.Select(c => c.Kernel)])));

    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks)
    {
        var result = new HostTensor(DType.F32, [.. kernel.Result.Shape.Select(d => d.Resolve(symbols))]);
        var buffers = operands.Append(result).Select(Allocate).ToArray();
        try
        {
            new Span<float>((void*)buffers[^1], result.Length).Fill(float.NaN);
            var args = stackalloc nint[buffers.Length];
            for (var i = 0; i < buffers.Length; i++) args[i] = buffers[i];
            fixed (int* dims = SymbolValues.Of(symbols))
                lock (_launch) Pool(tasks).Run(_library[kernel.Name], args, dims);
            CopyBack(buffers[^1], result);
            foreach (var state in OpRegistry.Get(kernel.Template).StateOperands) CopyBack(buffers[state], operands[state]);
            return result;
        }
        finally
        {
            foreach (var buffer in buffers) NativeMemory.AlignedFree((void*)buffer);
        }
    }

    public void Dispose()
    {
        foreach (var pool in _pools.Values) pool.Dispose();
        _library.Dispose();
    }

    private WorkerPool Pool(int tasks)
    {
        if (!_pools.TryGetValue(tasks, out var pool)) _pools[tasks] = pool = new WorkerPool(tasks);
        return pool;
    }

    private static nint Allocate(HostTensor tensor)
    {
        var source = tensor.P is { } packed ? packed.AsSpan()
            : tensor.DType is DType.F16 or DType.BF16 ? HalfBytes(tensor)
            : tensor.F is { } f ? MemoryMarshal.AsBytes(f.AsSpan()) : MemoryMarshal.AsBytes(tensor.Ints.AsSpan());
        var bytes = (nuint)Math.Max(1, source.Length);
        var buffer = NativeMemory.AlignedAlloc(bytes, 64);
        source.CopyTo(new Span<byte>(buffer, (int)bytes));
        return (nint)buffer;
    }

    /// <summary>An f16/bf16 tensor's values (already representable) in their 16-bit storage.</summary>
    private static Span<byte> HalfBytes(HostTensor tensor) =>
        MemoryMarshal.AsBytes(tensor.Floats.Select(v => tensor.DType == DType.F16
            ? BitConverter.HalfToUInt16Bits((Half)v)
            : (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray().AsSpan());

    private static void CopyBack(nint buffer, HostTensor tensor)
    {
        if (tensor.P is { } packed) new ReadOnlySpan<byte>((void*)buffer, packed.Length).CopyTo(packed);
        else new ReadOnlySpan<float>((void*)buffer, tensor.Length).CopyTo(tensor.Floats);
    }
}
