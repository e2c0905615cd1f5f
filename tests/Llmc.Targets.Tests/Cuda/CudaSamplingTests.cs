using System.Runtime.InteropServices;
using System.Text;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Plan;
using Llmc.Targets.Cuda;
using Llmc.Targets.Gpu.Templates;
using Llmc.Targets.Tests.Sampling;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// The sampling kernel for CUDA: it compiles into the PTX and cubin of each architecture (CI, NVRTC only), and on a GPU
/// it picks the host sampler's token (<see cref="SamplingCases"/>; skipped with the driver's reason without one).
/// </summary>
public sealed unsafe class CudaSamplingTests
{
    private static readonly int[] Sizes = [512, 1000, 128_256];

    private static readonly Lazy<CompiledKernels> Compiled = new(() => new CudaTarget([80, 89, 90]).Compile([.. Sizes.Select(SamplingTemplate.KernelFor)]));

    public static TheoryData<int> Vocabularies => SamplingCases.Vocabularies;

    [NvrtcTheory]
    [InlineData(80)]
    [InlineData(89)]
    [InlineData(90)]
    public void The_sampling_kernel_is_in_the_ptx_and_cubin_of_each_architecture(int arch)
    {
        var kernel = SamplingTemplate.KernelFor(32_000);
        var compiled = new CudaTarget([arch]).Compile([kernel]);
        var ptx = Encoding.UTF8.GetString(compiled.Sections[CudaKernelAbi.PtxSection(arch)]);
        Assert.Contains($".target sm_{arch}", ptx);
        var entry = PtxText.Entry(ptx, kernel.Name);
        // Workgroup reductions (barriers, shared memory) and the softmax's exponential.
        Assert.Contains("bar.sync", entry);
        Assert.Contains(".shared", ptx);
        Assert.Contains("ex2.approx", entry);
        Assert.True(compiled.Sections[CudaKernelAbi.CubinSection(arch)].Length > 0);
        var table = Assert.Single(compiled.Kernels, k => k.Format == CudaKernelAbi.PtxFormat);
        Assert.Equal(SamplingKernelAbi.LocalSize, table.Launch!.LocalSize);
        Assert.Equal(SamplingKernelAbi.Template, table.Instance.Template);
    }

    [CudaDeviceTheory]
    [MemberData(nameof(Vocabularies))]
    public void Greedy_on_the_gpu_picks_the_hosts_argmax(int vocab) =>
        SamplingCases.AssertGreedyMatchesHost(vocab, (logits, parameters) => Run(vocab, logits, parameters));

    [CudaDeviceTheory]
    [MemberData(nameof(Vocabularies))]
    public void Sampling_on_the_gpu_picks_the_hosts_token(int vocab) =>
        SamplingCases.AssertSamplingMatchesHost(vocab, vocab > 10_000 ? 16 : 40, (logits, parameters) => Run(vocab, logits, parameters));

    /// <summary>One launch as the runtime makes it, from the code <see cref="CudaCodeChoice"/> picks; the result word starts as NaN bits.</summary>
    private static int Run(int vocab, float[] logits, uint[] parameters)
    {
        using var device = CudaDevice.Open();
        var compiled = Compiled.Value;
        var available = compiled.Kernels.Select(k => (k.Section, k.Format)).Distinct()
            .Select(s => new CudaCodeChoice.Code(s.Section, s.Format, CudaKernelAbi.ArchitectureOf(s.Section)!.Value)).ToList();
        var code = CudaCodeChoice.Pick(available, device.Architecture, device.Name);
        using var module = CudaModule.Load(compiled.Sections[code.Section], code.Format, code.Section);
        var kernel = compiled.Kernels.Single(k => k.Section == code.Section && k.Instance.Name == SamplingTemplate.KernelFor(vocab).Name);
        byte[][] arguments = [MemoryMarshal.AsBytes(logits.AsSpan()).ToArray(), MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray(), BitConverter.GetBytes(float.NaN)];
        var buffers = arguments.Select(a => device.Allocate(a.Length, "a sampling argument")).ToList();
        var storage = (byte*)NativeMemory.Alloc((nuint)CudaStepLaunch.StorageBytes(arguments.Length));
        try
        {
            for (var i = 0; i < arguments.Length; i++) device.Upload(buffers[i], arguments[i]);
            var launch = new CudaStepLaunch(module.Function(kernel.Entry), kernel.Launch!, buffers, storage);
            launch.Enqueue(0, stackalloc int[PlanSymbols.Count] { 1, 1 });
            var result = new byte[4];
            device.Download(buffers[^1], result);
            return BitConverter.ToInt32(result);
        }
        finally
        {
            foreach (var buffer in buffers) device.Free(buffer);
            NativeMemory.Free(storage);
        }
    }
}
