using System.Runtime.InteropServices;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Runs compiled kernels on the GPU as the runtime does: the code section <see cref="CudaCodeChoice"/> picks for the
/// device, loaded as one module, each launch through <see cref="CudaStepLaunch"/>. Every argument gets a fresh device
/// buffer and the bytes of every argument are read back afterwards. Arguments given as null are output buffers of that
/// many bytes, poisoned with NaN before the launch.
/// </summary>
public sealed unsafe class CudaKernelRunner : IDisposable
{
    private readonly CudaDevice _device;
    private readonly CudaModule _module;
    private readonly Dictionary<string, StepCode<CompiledKernel>> _kernels;
    private readonly Lock _launch = new();

    /// <summary>Opens GPU <paramref name="device"/> and loads the code of <paramref name="compiled"/> that the runtime would pick for it.</summary>
    public CudaKernelRunner(CompiledKernels compiled, int device = 0)
    {
        _device = CudaDevice.Open(device);
        var available = compiled.Kernels.Select(k => (k.Section, k.Format)).Distinct()
            .Select(s => new CudaCodeChoice.Code(s.Section, s.Format, CudaKernelAbi.ArchitectureOf(s.Section)!.Value)).ToList();
        var code = CudaCodeChoice.Pick(available, _device.Architecture, _device.Name);
        _module = CudaModule.Load(compiled.Sections[code.Section], code.Format, code.Section);
        _kernels = compiled.Kernels.Where(k => k.Section == code.Section).GroupBy(k => k.Instance.Name)
            .ToDictionary(g => g.Key, g => StepCode.Of(g.Key, [.. g], k => k.Launch, codes => codes[0]));
        Device = $"{_device.Name} (sm_{_device.Architecture}, running {code.Section})";
    }

    /// <summary>The GPU and the code section it runs.</summary>
    public string Device { get; }

    /// <summary>The fewest rows kernel <paramref name="name"/>'s many-rows code runs for; null when it has none.</summary>
    public int? ManyRowsFrom(string name) => _kernels[name] is { ManyRows: not null } code ? code.MinRows : null;

    /// <summary>
    /// Runs kernel <paramref name="name"/> once with the plan symbols <paramref name="dims"/>: its many-rows code where
    /// it has one and the step is long enough, as the runtime chooses, or the code <paramref name="manyRows"/> names
    /// whatever the step's rows; the bytes of every argument after it.
    /// </summary>
    public byte[][] Run(string name, IReadOnlyList<(byte[]? Data, long Bytes)> arguments, ReadOnlySpan<int> dims, bool? manyRows = null)
    {
        // Test threads vary; driver calls act on the calling thread's current context.
        _device.MakeCurrent();
        var buffers = new List<ulong>();
        var storage = (byte*)NativeMemory.Alloc((nuint)CudaStepLaunch.StorageBytes(arguments.Count));
        try
        {
            foreach (var (data, bytes) in arguments)
            {
                buffers.Add(_device.Allocate(bytes, "a test kernel argument"));
                _device.Upload(buffers[^1], data ?? Poisoned(bytes));
            }
            var code = _kernels[name];
            var kernel = manyRows switch
            {
                null => code.For(dims[PlanSymbols.Seq]),
                true => code.ManyRows ?? throw new ArgumentException($"kernel {name} has no many-rows code", nameof(manyRows)),
                false => code.Any,
            };
            var launch = new CudaStepLaunch(kernel.Instance.Name, _module.Function(kernel.Entry), kernel.Launch!, buffers, storage);
            lock (_launch) launch.Enqueue(0, dims);
            var results = new byte[arguments.Count][];
            for (var i = 0; i < arguments.Count; i++)
            {
                results[i] = new byte[arguments[i].Bytes];
                _device.Download(buffers[i], results[i]);
            }
            return results;
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

    private static byte[] Poisoned(long bytes)
    {
        var poison = new byte[bytes];
        MemoryMarshal.Cast<byte, float>(poison.AsSpan()).Fill(float.NaN);
        return poison;
    }
}
