using Llmc.Runtime;
using Llmc.Targets;
using Llmc.Targets.Cpu;

namespace Llmc.Compiler.Build;

/// <summary>The targets this compiler can emit, by the name <c>--target</c> takes.</summary>
public static class TargetRegistry
{
    private static readonly Dictionary<string, Func<ITarget>> Factories =
        CpuTarget.Names.ToDictionary(name => name, name => (Func<ITarget>)(() => new CpuTarget(name)), StringComparer.Ordinal);

    public static IEnumerable<string> Names => Factories.Keys;

    public static ITarget Get(string name) =>
        Factories.TryGetValue(name, out var make) ? make()
        : throw new LlmcException($"unknown target '{name}' (available: {string.Join(", ", Names)})");
}
