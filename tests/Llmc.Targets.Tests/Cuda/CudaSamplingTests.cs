using System.Runtime.InteropServices;
using System.Text;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Targets.Cuda;
using Llmc.Targets.Gpu.Templates;
using Llmc.Targets.Tests.Sampling;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>
/// The sampling kernel for CUDA: it compiles into the PTX and cubin of each architecture (CI, NVRTC only), and on a GPU
/// it picks the host sampler's token for every row of a launch (<see cref="SamplingCases"/>; skipped with the driver's
/// reason without one).
/// </summary>
public sealed class CudaSamplingTests
{
    // Opened on the first GPU run and kept for the process, like the conformance executor's.
    private static readonly Lazy<CudaKernelRunner> Runner = new(() => new CudaKernelRunner(new CudaTarget([80, 89, 90]).Compile([.. SamplingCases.VocabularySizes.Select(SamplingTemplate.KernelFor)])));

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

    [CudaDeviceTheory]
    [MemberData(nameof(Vocabularies))]
    public void One_launch_on_the_gpu_samples_every_row_with_its_own_parameters(int vocab) =>
        SamplingCases.AssertEveryRowMatchesHost(vocab, (logits, parameters, rows) => Run(vocab, logits, parameters, rows));

    private static int Run(int vocab, float[] logits, uint[] parameters) => Run(vocab, logits, parameters, 1)[0];

    /// <summary>One launch as the runtime makes it, through <see cref="CudaKernelRunner"/>; the result words start as NaN bits.</summary>
    private static int[] Run(int vocab, float[] logits, uint[] parameters, int rows)
    {
        var after = Runner.Value.Run(SamplingTemplate.KernelFor(vocab).Name,
            [(MemoryMarshal.AsBytes(logits.AsSpan()).ToArray(), logits.Length * 4L), (MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray(), parameters.Length * 4L), (null, rows * 4L)],
            SamplingCases.RowSymbols(rows));
        return MemoryMarshal.Cast<byte, int>(after[2]).ToArray();
    }
}
