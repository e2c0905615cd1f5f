namespace Llmc.Compiler.Passes.Fusion;

/// <summary>The fusion passes in the order the default pipeline runs them, and what <c>--no-fuse</c> leaves out.</summary>
public static class FusionPasses
{
    /// <summary>
    /// Q/K/V and gate/up first, while the projections are still plain <c>linear</c>s; then norms into whatever reads
    /// them; then residual adds (which keep a norm prologue); elementwise chains last, for what is left.
    /// </summary>
    public static IReadOnlyList<IPass> All { get; } = [new FuseQkvRope(), new FuseGatedMlp(), new FuseRmsNorm(), new FuseResidual(), new FuseElementwise()];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(p => p.Name)];
}
