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

    [Fact]
    public void A_vocabulary_beyond_the_kernels_fixed_point_range_is_refused_naming_the_kernel()
    {
        var kernel = SamplingTemplate.KernelFor(SamplingKernelAbi.MaxVocab + 1);
        var e = Assert.Throws<TargetException>(() => new VulkanTarget().Render(kernel));
        Assert.Contains(kernel.Name, e.Message);
        Assert.Contains("vocabulary of 8388609 tokens", e.Message);
    }

    private static int Run(int vocab, float[] logits, uint[] parameters)
    {
        var after = VulkanKernelRunner.Run(VulkanTestDevice.Device, Kernels.For(vocab),
            [(MemoryMarshal.AsBytes(logits.AsSpan()).ToArray(), logits.Length * 4L), (MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray(), parameters.Length * 4L), (null, 4)], SamplingCases.LaunchSymbols);
        return BitConverter.ToInt32(after[2]);
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
