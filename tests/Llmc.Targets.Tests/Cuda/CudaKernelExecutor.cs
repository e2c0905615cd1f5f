using System.Runtime.InteropServices;
using Llmc.Ir;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Plan;
using Llmc.Targets.Tests.Conformance;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// Runs the conformance kernels on a GPU as the runtime does: the code section <see cref="CudaCodeChoice"/> picks for the
/// device, loaded as one module, each launch through <see cref="CudaStepLaunch"/>. Operands are copied to fresh device
/// buffers, the result is poisoned with NaN first, and the result and state operands are copied back.
/// </summary>
public sealed unsafe class CudaKernelExecutor : IKernelExecutor, IDisposable
{
    private readonly CudaDevice _device;
    private readonly CudaModule _module;
    private readonly Dictionary<string, CompiledKernel> _kernels;
    private readonly Lock _launch = new();

    private CudaKernelExecutor()
    {
        _device = CudaDevice.Open();
        var compiled = CudaConformanceBuild.Get();
        var available = compiled.Kernels.Select(k => (k.Section, k.Format)).Distinct()
            .Select(s => new CudaCodeChoice.Code(s.Section, s.Format, CudaKernelAbi.ArchitectureOf(s.Section)!.Value)).ToList();
        var code = CudaCodeChoice.Pick(available, _device.Architecture, _device.Name);
        _module = CudaModule.Load(compiled.Sections[code.Section], code.Format, code.Section);
        _kernels = compiled.Kernels.Where(k => k.Section == code.Section).ToDictionary(k => k.Instance.Name);
    }

    private static readonly Lazy<CudaKernelExecutor> Shared = new(() => new CudaKernelExecutor());

    /// <summary>The executor for every conformance kernel, created once per process.</summary>
    public static CudaKernelExecutor ForConformance => Shared.Value;

    /// <summary>Runs the kernel once; a GPU launch has no task count, so <paramref name="tasks"/> does not change it.</summary>
    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks)
    {
        // Test threads vary; driver calls act on the calling thread's current context.
        _device.MakeCurrent();
        var result = new HostTensor(DType.F32, [.. kernel.Result.Shape.Select(d => d.Resolve(symbols))]);
        var poisoned = Enumerable.Repeat(float.NaN, result.Length).ToArray();
        var buffers = new List<ulong>();
        var storage = (byte*)NativeMemory.Alloc((nuint)CudaStepLaunch.StorageBytes(operands.Count + 1));
        try
        {
            foreach (var operand in operands.Append(result))
            {
                var bytes = Bytes(ReferenceEquals(operand, result) ? new HostTensor(result.Shape, poisoned) : operand);
                buffers.Add(_device.Allocate(bytes.Length, "a conformance operand"));
                _device.Upload(buffers[^1], bytes);
            }
            var compiled = _kernels[kernel.Name];
            var launch = new CudaStepLaunch(_module.Function(compiled.Entry), compiled.Launch!, buffers, storage);
            Span<int> dims = stackalloc int[PlanSymbols.Count];
            for (var i = 0; i < PlanSymbols.Count; i++) dims[i] = symbols.TryGetValue(PlanSymbols.Names[i], out var v) ? v : 0;
            lock (_launch) launch.Enqueue(0, dims);
            _device.Download(buffers[^1], MemoryMarshal.AsBytes(result.Floats.AsSpan()));
            foreach (var state in OpRegistry.Get(kernel.Template).StateOperands)
                _device.Download(buffers[state], MemoryMarshal.AsBytes(operands[state].Floats.AsSpan()));
            return result;
        }
        finally
        {
            foreach (var buffer in buffers) _device.Free(buffer);
            NativeMemory.Free(storage);
        }
    }

    public void Dispose()
    {
        _module.Dispose();
        _device.Dispose();
    }

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
