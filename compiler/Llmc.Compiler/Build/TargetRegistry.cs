using Llmc.Runtime;
using Llmc.Targets;
using Llmc.Targets.Cpu;
using Llmc.Targets.Cuda;
using Llmc.Targets.Vulkan;

namespace Llmc.Compiler.Build;

/// <summary>The targets this compiler can emit, by the name <c>--target</c> takes.</summary>
public static class TargetRegistry
{
    private static readonly Dictionary<string, Func<ITarget>> Factories = new(
        CpuTarget.Names.Select(name => KeyValuePair.Create(name, (Func<ITarget>)(() => new CpuTarget(name))))
            .Append(KeyValuePair.Create(VulkanTarget.TargetName, (Func<ITarget>)(() => new VulkanTarget()))),
        StringComparer.Ordinal);

    /// <summary>Single targets; a comma list of CUDA targets (<c>cuda-sm80,cuda-sm90</c>) is one fat target too.</summary>
    public static IEnumerable<string> Names => Factories.Keys.Concat(CudaTarget.Names);

    public static ITarget Get(string name) =>
        Factories.TryGetValue(name, out var make) ? make()
        : CudaTarget.TryParse(name)
        ?? throw new LlmcException($"unknown target '{name}' (available: {string.Join(", ", Names)}, or a comma list of cuda-sm targets)");
}
