using Llmc.Runtime;

namespace Llmc.Compiler.Passes;

/// <summary>Every pass by name. Adding a pass is one class plus one row here.</summary>
public static class PassRegistry
{
    private static readonly IPass[] Passes =
    [
        new DeadCodeElimination(),
        new QuantizeWeights(),
        .. Fusion.FusionPasses.All,
    ];

    public static IReadOnlyList<IPass> All => Passes;

    public static IPass Get(string name) =>
        Passes.FirstOrDefault(p => p.Name == name)
        ?? throw new LlmcException($"unknown pass '{name}' (available: {string.Join(", ", Passes.Select(p => p.Name))})");
}
