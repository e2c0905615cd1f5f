using Llmc.Runtime;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Targets.Cpu;
using Llmc.Targets.Cuda;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Conformance;

/// <summary>
/// A target's conformance suite on this machine: its cases compiled for the target and run on a device of it against
/// the reference interpreter, the way <c>llmc selftest</c> and the test projects run them. CPU cases run with 1 and 3
/// tasks per launch; Vulkan cases run their plain variant and, where the device has subgroup arithmetic, their subgroup
/// variant as a row of its own; CUDA cases run the code the runtime would pick for the GPU and, for attention, a row
/// checking that the split and whole-row codes give the same bits (<see cref="CudaCodeAgreement"/>).
/// </summary>
public sealed class TargetConformance : IDisposable
{
    private static readonly int[] CpuTaskCounts = [1, 3];

    private readonly List<(string Suffix, IKernelExecutor Executor, Func<KernelInstance, bool> Runs)> _runs;
    private readonly List<IDisposable> _owned;

    private TargetConformance(string device, IReadOnlyList<ConformanceCase> cases, IReadOnlyList<(string Case, string Reason)> skipped,
        List<(string, IKernelExecutor, Func<KernelInstance, bool>)> runs, List<IDisposable> owned)
    {
        (Device, Cases, Skipped, _runs, _owned) = (device, cases, skipped, runs, owned);
    }

    /// <summary>What the cases run on, e.g. "NVIDIA H200 (sm_90, running cubin.sm_90)".</summary>
    public string Device { get; }

    /// <summary>The cases that run, after the filter.</summary>
    public IReadOnlyList<ConformanceCase> Cases { get; }

    /// <summary>Cases of the target's list it has no kernel template for, with the reason.</summary>
    public IReadOnlyList<(string Case, string Reason)> Skipped { get; }

    /// <summary>The cases a target's suite holds: one list per target, shared with the test projects.</summary>
    public static IReadOnlyList<ConformanceCase> CasesFor(ITarget target) => target switch
    {
        CpuTarget => ConformanceCases.Every,
        VulkanTarget => [.. ConformanceCases.All, .. ConformanceCases.Int8KvCache, .. ConformanceCases.HalfWeights],
        CudaTarget => [.. ConformanceCases.All, .. ConformanceCases.Int8KvCache, .. CudaOnlyCases.All],
        _ => throw new LlmcException($"selftest: no conformance suite for target '{target.Name}'"),
    };

    /// <summary>The distinct kernels of the target's cases that it has templates for, as the tests and selftest compile them.</summary>
    public static List<KernelInstance> SupportedKernels(ITarget target, IEnumerable<ConformanceCase> cases) =>
        [.. cases.Where(c => target.Supports(c.Kernel.Template)).Select(c => c.Kernel).Distinct()];

    /// <summary>
    /// Compiles the cases of <paramref name="target"/> whose names contain <paramref name="filter"/> and readies a
    /// device to run them on (<paramref name="device"/>: a GPU's index; null for the default). Cases whose template the
    /// target lacks are <see cref="Skipped"/>.
    /// </summary>
    /// <exception cref="LlmcException">This machine cannot run the target, in one line saying why.</exception>
    public static TargetConformance Open(ITarget target, int? device, string? filter)
    {
        var listed = CasesFor(target).Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        var supported = listed.Where(c => target.Supports(c.Kernel.Template)).ToList();
        var skipped = listed.Except(supported).Select(c => (c.Name, $"the {target.Name} target has no '{c.Kernel.Template}' template yet")).ToList();
        var kernels = SupportedKernels(target, supported);
        var (name, runs, owned) = target switch
        {
            CpuTarget cpu => OpenCpu(cpu, device, kernels),
            VulkanTarget vulkan => OpenVulkan(vulkan, device, kernels),
            CudaTarget cuda => OpenCuda(cuda, device, kernels),
            _ => throw new LlmcException($"selftest: no conformance suite for target '{target.Name}'"),
        };
        return new TargetConformance(name, supported, skipped, runs, owned);
    }

    /// <summary>Runs every case (a row per variant) and reports each as it finishes.</summary>
    public IEnumerable<CaseOutcome> Run()
    {
        foreach (var c in Cases)
        {
            foreach (var (suffix, executor, runs) in _runs)
            {
                if (!runs(c.Kernel)) continue;
                var outcomes = executor is CpuKernelExecutor
                    ? CpuTaskCounts.Select(tasks => ConformanceChecker.Run(c, executor, tasks)).ToList()
                    : [ConformanceChecker.Run(c, executor, tasks: 1)];
                var failed = outcomes.FirstOrDefault(o => !o.Passed);
                yield return (failed ?? outcomes.MaxBy(o => o.Error)!) with { Case = c.Name + suffix };
            }
        }
    }

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned)) owned.Dispose();
    }

    /// <summary>What the cases run on: the device's description, an executor per variant (with the kernels it runs), what to dispose.</summary>
    private sealed record Opened(string Device, List<(string, IKernelExecutor, Func<KernelInstance, bool>)> Runs, List<IDisposable> Owned);

    private static Opened OpenCpu(CpuTarget target, int? device, List<KernelInstance> kernels)
    {
        if (device is not null) throw new LlmcException($"selftest: --device selects a GPU; target '{target.Name}' runs on this machine's processor");
        if (CpuIsa.Missing(target.Name) is { } missing) throw new LlmcException(missing);
        var executor = new CpuKernelExecutor(target, kernels);
        return new Opened($"this machine's processor ({Environment.ProcessorCount} logical processors)", [("", executor, _ => true)], [executor]);
    }

    private static Opened OpenVulkan(VulkanTarget target, int? device, List<KernelInstance> kernels)
    {
        if (VulkanInstance.Unavailable() is { } missing) throw new LlmcException(missing);
        if (ShaderCompilerProbe.Problem(target.Compiler) is { } noCompiler) throw new LlmcException(noCompiler);
        var instance = VulkanInstance.Create();
        var physical = instance.Select(device);
        var opened = VulkanDevice.Create(physical);
        var plain = new VulkanKernelExecutor(opened, target, kernels);
        var runs = new List<(string, IKernelExecutor, Func<KernelInstance, bool>)> { ("", plain, plain.Runs) };
        // Disposed last to first: pipelines, then the device, then the instance.
        var owned = new List<IDisposable> { instance, opened, plain };
        if (physical.Features.HasFlag(ShaderFeatures.SubgroupArithmetic) && !VulkanKernelVariants.PlainForced)
        {
            var subgroup = new VulkanKernelExecutor(opened, target, kernels, GlslDialect.WithSubgroups, physical.SubgroupSize);
            runs.Add((" (subgroups)", subgroup, subgroup.Runs));
            owned.Add(subgroup);
        }
        return new Opened($"Vulkan {physical} {physical.Type}, subgroup size {physical.SubgroupSize}", runs, owned);
    }

    private static Opened OpenCuda(CudaTarget target, int? device, List<KernelInstance> kernels)
    {
        if (CudaDevice.Unavailable() is { } missing) throw new LlmcException(missing);
        CudaKernelExecutor executor;
        try
        {
            executor = new CudaKernelExecutor(target.Compile(kernels), device ?? 0);
        }
        catch (LlmcException e)
        {
            // The code the target holds does not run on this GPU (an older architecture than it was compiled for).
            throw new LlmcException($"selftest: target '{target.Name}' cannot run here: {e.Message}", e);
        }
        var agreement = new CudaCodeAgreement(executor);
        return new Opened(executor.Device, [("", executor, _ => true), (" (split = whole-row code)", agreement, agreement.Runs)], [executor]);
    }
}
