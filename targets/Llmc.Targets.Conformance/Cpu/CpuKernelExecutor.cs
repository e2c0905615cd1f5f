using System.Runtime.InteropServices;
using Llmc.Ir;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Targets.Cpu;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Runs CPU kernels exactly as the runtime will: one <see cref="CpuTarget.Compile"/> for all kernels, the assembly
/// loaded by <see cref="CpuKernelLibrary"/>, launches through a <see cref="WorkerPool"/> per task count. Operands are
/// copied into 64-byte aligned native buffers, the result is poisoned with NaN first, and the result and state operands
/// are copied back.
/// </summary>
public sealed unsafe class CpuKernelExecutor : IKernelExecutor, IDisposable
{
    private readonly CpuKernelLibrary _library;
    private readonly Dictionary<int, WorkerPool> _pools = [];
    private readonly Lock _launch = new();

    public CpuKernelExecutor(CpuTarget target, IReadOnlyList<KernelInstance> kernels)
    {
        var compiled = target.Compile(kernels);
        _library = CpuKernelLibrary.Load(compiled.Sections[CpuKernelAbi.Section], compiled.Kernels.Select(k => (k.Instance.Name, k.Entry)));
    }

    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks)
    {
        var result = new HostTensor(DType.F32, [.. kernel.Result.Shape.Select(d => d.Resolve(symbols))]);
        var images = operands.Select(KernelOperandBytes.Of).Append(new byte[result.Length * sizeof(float)]).ToArray();
        var buffers = images.Select(Allocate).ToArray();
        try
        {
            new Span<float>((void*)buffers[^1], result.Length).Fill(float.NaN);
            var args = stackalloc nint[buffers.Length];
            for (var i = 0; i < buffers.Length; i++) args[i] = buffers[i];
            fixed (int* dims = SymbolValues.Of(symbols))
                lock (_launch) Pool(tasks).Run(_library[kernel.Name], args, dims);
            KernelOperandBytes.CopyBack(new ReadOnlySpan<byte>((void*)buffers[^1], images[^1].Length), result);
            foreach (var state in OpRegistry.Get(kernel.Template).StateOperands)
                KernelOperandBytes.CopyBack(new ReadOnlySpan<byte>((void*)buffers[state], images[state].Length), operands[state]);
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

    private static nint Allocate(byte[] image)
    {
        var bytes = (nuint)Math.Max(1, image.Length);
        var buffer = NativeMemory.AlignedAlloc(bytes, 64);
        image.CopyTo(new Span<byte>(buffer, image.Length));
        return (nint)buffer;
    }
}
