using Llmc.Ir;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Conformance;

/// <summary>
/// Runs kernels of the <c>vulkan</c> target on a Vulkan device: compiled once by <see cref="VulkanTarget"/>, a pipeline per
/// kernel built as the runtime builds it from one variant's section (plain or subgroup, <see cref="VulkanTarget.Variants"/>), each run through <see cref="VulkanKernelRunner"/>. Launches are whole-device,
/// so the task count of the conformance harness does not apply. A kernel that fails to compile fails its own cases only.
/// </summary>
public sealed class VulkanKernelExecutor : IKernelExecutor, IDisposable
{
    private readonly VulkanDevice _device;
    private readonly Dictionary<string, VulkanKernel> _kernels = [];
    private readonly Dictionary<string, VulkanKernel> _manyRows = [];
    private readonly Dictionary<string, string> _failures = [];
    private readonly GlslDialect _variant;
    private readonly uint _subgroupSize;

    /// <param name="kernels">Distinct kernels the target has templates for (<see cref="TargetConformance.SupportedKernels"/>).</param>
    /// <param name="subgroupSize">
    /// With the subgroup variant: the device's subgroup size, so that only kernels whose workgroups are whole subgroups
    /// are built, as the runtime chooses (<see cref="Runtime.Devices.Vulkan.VulkanKernelVariants"/>); 0 builds them all.
    /// </param>
    public VulkanKernelExecutor(VulkanDevice device, VulkanTarget target, IReadOnlyList<KernelInstance> kernels, GlslDialect? variant = null, uint subgroupSize = 0)
    {
        _device = device;
        _variant = variant ?? GlslDialect.Instance;
        _subgroupSize = _variant.Subgroups ? subgroupSize : 0;
        try
        {
            Build(target.Compile(kernels));
        }
        catch (TargetException)
        {
            // One kernel failing to compile must fail its own cases only: compile one at a time to tell which.
            foreach (var k in kernels)
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

    /// <summary>Whether <paramref name="kernel"/> runs here in this variant (or failed to compile, which its cases report).</summary>
    public bool Runs(KernelInstance kernel) => _kernels.ContainsKey(kernel.Name) || _failures.ContainsKey(kernel.Name);

    public HostTensor Run(KernelInstance kernel, IReadOnlyList<HostTensor> operands, IReadOnlyDictionary<string, int> symbols, int tasks)
    {
        if (_failures.TryGetValue(kernel.Name, out var failure)) throw new TargetException(failure);
        var result = new HostTensor(DType.F32, [.. kernel.Result.Shape.Select(d => d.Resolve(symbols))]);
        var arguments = operands.Select(KernelOperandBytes.Of).Select(b => ((byte[]?)b, b.LongLength)).Append((null, result.Length * sizeof(float))).ToList();
        var dims = SymbolValues.Of(symbols);
        // As the runtime chooses: the many-rows code for a step long enough for it.
        var many = _manyRows.GetValueOrDefault(kernel.Name);
        var code = new StepCode<VulkanKernel>(_kernels[kernel.Name], many, many?.Launch.MinRows ?? 0).For(dims[PlanSymbols.Seq]);
        var after = VulkanKernelRunner.Run(_device, code, arguments, dims);
        KernelOperandBytes.CopyBack(after[^1], result);
        foreach (var state in OpRegistry.Get(kernel.Template).StateOperands) KernelOperandBytes.CopyBack(after[state], operands[state]);
        return result;
    }

    /// <summary>Destroys the pipelines (before the device they were built on).</summary>
    public void Dispose()
    {
        foreach (var kernel in _kernels.Values.Concat(_manyRows.Values)) kernel.Dispose();
        _kernels.Clear();
        _manyRows.Clear();
    }

    private void Build(CompiledKernels compiled)
    {
        foreach (var k in compiled.Kernels)
        {
            var manyRows = StepCode.IsManyRows(k.Launch);
            var built = manyRows ? _manyRows : _kernels;
            if (built.ContainsKey(k.Instance.Name) || k.Section != VulkanTarget.SectionOf(k.Instance, _variant, manyRows)) continue;
            if (_subgroupSize > 0 && k.Launch!.LocalSize % _subgroupSize != 0) continue;
            built[k.Instance.Name] = VulkanKernel.Create(_device, k.Instance.Name, compiled.Sections[k.Section], k.Launch!,
                k.Instance.Operands.Count + 1, k.Entry);
        }
    }
}
