using System.Runtime.InteropServices;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Targets.Gpu.Templates;
using Llmc.Targets.Tests.Sampling;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>The sampling kernel on the Vulkan device (lavapipe in CI) against the host sampler (<see cref="SamplingCases"/>).</summary>
[Collection(VulkanCollection.Name)]
public sealed class VulkanSamplingTests
{
    public static TheoryData<int> Vocabularies => SamplingCases.Vocabularies;

    [VulkanTheory]
    [MemberData(nameof(Vocabularies))]
    public void Greedy_picks_the_hosts_argmax_lowest_id_among_ties(int vocab) =>
        SamplingCases.AssertGreedyMatchesHost(vocab, (logits, parameters) => Run(vocab, logits, parameters));

    [VulkanTheory]
    [MemberData(nameof(Vocabularies))]
    public void Sampling_picks_the_hosts_token_for_every_uniform_and_option_set(int vocab) =>
        SamplingCases.AssertSamplingMatchesHost(vocab, vocab > 10_000 ? 8 : 40, (logits, parameters) => Run(vocab, logits, parameters));

    [VulkanTheory]
    [MemberData(nameof(Vocabularies))]
    public void One_launch_samples_every_row_with_its_own_parameters(int vocab) =>
        SamplingCases.AssertEveryRowMatchesHost(vocab, (logits, parameters, rows) => Run(vocab, logits, parameters, rows));

    [Fact]
    public void A_vocabulary_beyond_the_kernels_fixed_point_range_is_refused_naming_the_kernel()
    {
        var kernel = SamplingTemplate.KernelFor(SamplingKernelAbi.MaxVocab + 1);
        var e = Assert.Throws<TargetException>(() => new VulkanTarget().Render(kernel));
        Assert.Contains(kernel.Name, e.Message);
        Assert.Contains("vocabulary of 8388609 tokens", e.Message);
    }

    private static int Run(int vocab, float[] logits, uint[] parameters) => Run(vocab, logits, parameters, 1)[0];

    private static int[] Run(int vocab, float[] logits, uint[] parameters, int rows)
    {
        var after = VulkanKernelRunner.Run(VulkanTestDevice.Device, Kernels.For(vocab),
            [(MemoryMarshal.AsBytes(logits.AsSpan()).ToArray(), logits.Length * 4L), (MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray(), parameters.Length * 4L), (null, rows * 4L)],
            SamplingCases.RowSymbols(rows));
        return MemoryMarshal.Cast<byte, int>(after[2]).ToArray();
    }

    /// <summary>The sampling kernel per vocabulary size, compiled once by the vulkan target (plain variant).</summary>
    private static class Kernels
    {
        private static readonly Dictionary<int, VulkanKernel> Built = [];

        public static VulkanKernel For(int vocab)
        {
            lock (Built)
            {
                if (Built.TryGetValue(vocab, out var kernel)) return kernel;
                var instance = SamplingTemplate.KernelFor(vocab);
                var compiled = new VulkanTarget().Compile([instance]);
                var entry = compiled.Kernels.First(k => k.Section == VulkanTarget.SectionOf(instance, GlslDialect.Instance));
                return Built[vocab] = VulkanKernel.Create(VulkanTestDevice.Device, instance.Name, compiled.Sections[entry.Section], entry.Launch!, SamplingKernelAbi.Arguments, entry.Entry);
            }
        }
    }
}
