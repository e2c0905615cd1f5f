using System.Runtime.InteropServices;
using Llmc.Ir;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Targets.Tests.Conformance;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>
/// Runs kernels of the <c>vulkan</c> target on a Vulkan device: compiled once by <see cref="VulkanTarget"/>, a pipeline per
/// kernel built as the runtime builds it from one variant's section (plain or subgroup, <see cref="VulkanTarget.Variants"/>), each run through <see cref="VulkanKernelRunner"/>. Launches are whole-device,
/// so the task count of the conformance harness does not apply.
/// </summary>
public sealed class VulkanKernelExecutor : IKernelExecutor
{
    private readonly VulkanDevice _device;
    private readonly Dictionary<string, VulkanKernel> _kernels = [];
    private readonly Dictionary<string, string> _failures = [];
    private readonly GlslDialect _variant;

    public VulkanKernelExecutor(VulkanDevice device, VulkanTarget target, IReadOnlyList<KernelInstance> kernels, GlslDialect? variant = null)
    {
        _device = device;
        _variant = variant ?? GlslDialect.Instance;
        var supported = kernels.Where(k => target.Supports(k.Template)).Distinct().ToList();
        try
        {
            Build(target.Compile(supported));
        }
        catch (TargetException)
        {
            // One kernel failing to compile must fail its own cases only: compile one at a time to tell which.
            foreach (var k in supported)
            {
                try
                {
                    Build(target.Compile([k]));
                }
                catch (TargetException e)
                {
                    _failures[k.Name] = e.Message;
                }
            }
        }
    }

    /// <summary>The executor running one variant of every conformance case's kernel the target supports, built once per process.</summary>
    public static VulkanKernelExecutor ForConformance(GlslDialect variant) => Shared[variant.Subgroups ? 1 : 0].Value;

    private static readonly Lazy<VulkanKernelExecutor>[] Shared = [.. VulkanTarget.Variants.Select(v => new Lazy<VulkanKernelExecutor>(() =>
        new VulkanKernelExecutor(VulkanTestDevice.Device, new VulkanTarget(), [.. ConformanceCases.All.Select(c => c.Kernel)], v)))];

    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks)
    {
        if (_failures.TryGetValue(kernel.Name, out var failure)) Assert.Fail(failure);
        var result = new HostTensor(DType.F32, [.. kernel.Result.Shape.Select(d => d.Resolve(symbols))]);
        var arguments = operands.Select(t => ((byte[]?)Bytes(t), (long)Bytes(t).Length)).Append((null, result.Length * sizeof(float))).ToList();
        var after = VulkanKernelRunner.Run(_device, _kernels[kernel.Name], arguments, SymbolValues.Of(symbols));
        MemoryMarshal.Cast<byte, float>(after[^1]).CopyTo(result.Floats);
        foreach (var state in OpRegistry.Get(kernel.Template).StateOperands)
            MemoryMarshal.Cast<byte, float>(after[state]).CopyTo(operands[state].Floats);
        return result;
    }

    private void Build(CompiledKernels compiled)
    {
        foreach (var k in compiled.Kernels)
        {
            if (_kernels.ContainsKey(k.Instance.Name) || k.Section != VulkanTarget.SectionOf(k.Instance, _variant)) continue;
            _kernels[k.Instance.Name] = VulkanKernel.Create(_device, k.Instance.Name, compiled.Sections[k.Section], k.Launch!,
                k.Instance.Operands.Count + 1, k.Entry);
        }
    }

    private static byte[] Bytes(HostTensor t) =>
        t.P ?? (t.F is { } f ? MemoryMarshal.AsBytes(f.AsSpan()).ToArray() : MemoryMarshal.AsBytes(t.Ints.AsSpan()).ToArray());
}
