using Llmc.Targets.Cpu;
using Llmc.Targets.Tests.Cuda;
using Llmc.Targets.Tests.Vulkan;
using Llmc.Targets.Vulkan;

namespace Llmc.Targets.Tests;

/// <summary>
/// One executor per target (and Vulkan variant) for the whole test run, with every kernel of that target's suite
/// (<see cref="TargetConformance.CasesFor"/>) compiled once: compiling is the slow part.
/// </summary>
public static class ConformanceExecutors
{
    private static readonly Dictionary<string, Lazy<CpuKernelExecutor>> CpuExecutors = CpuTarget.Names.ToDictionary(
        name => name, name => new Lazy<CpuKernelExecutor>(() => new CpuKernelExecutor(new CpuTarget(name), Kernels(new CpuTarget(name)))));

    private static readonly Lazy<VulkanKernelExecutor>[] VulkanExecutors = [.. VulkanTarget.Variants.Select(v => new Lazy<VulkanKernelExecutor>(() =>
        new VulkanKernelExecutor(VulkanTestDevice.Device, new VulkanTarget(), Kernels(new VulkanTarget()), v)))];

    private static readonly Lazy<CudaKernelExecutor> CudaExecutor = new(() => new CudaKernelExecutor(CudaConformanceBuild.Get()));

    public static CpuKernelExecutor Cpu(string target) => CpuExecutors[target].Value;

    /// <summary>The executor of one Vulkan variant (plain or subgroup), on <see cref="VulkanTestDevice"/>.</summary>
    public static VulkanKernelExecutor Vulkan(GlslDialect variant) => VulkanExecutors[variant.Subgroups ? 1 : 0].Value;

    /// <summary>The GPU executor of <see cref="CudaConformanceBuild"/>'s fat build.</summary>
    public static CudaKernelExecutor Cuda => CudaExecutor.Value;

    private static List<KernelInstance> Kernels(ITarget target) => TargetConformance.SupportedKernels(target, TargetConformance.CasesFor(target));
}
