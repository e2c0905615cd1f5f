using Llmc.Runtime.Plan;

namespace Llmc.Targets.Conformance;

/// <summary>Bound symbols as every target's kernels receive them: one int per <see cref="PlanSymbols"/> entry, in order, 0 where unbound.</summary>
public static class SymbolValues
{
    public static int[] Of(IReadOnlyDictionary<string, int> symbols) => [.. PlanSymbols.Names.Select(n => symbols.GetValueOrDefault(n))];
}
