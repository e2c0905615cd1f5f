namespace Llmc.Compiler.Passes;

/// <summary>A named, ordered list of passes: data, so a build can print, trim or replace it.</summary>
public sealed record Pipeline(string Name, IReadOnlyList<string> Passes)
{
    /// <summary>
    /// The default build pipeline, by phase:
    /// fusion (each pass only where the target has the fused kernel: Q/K/V + RoPE, gate/up + SwiGLU, RMSNorm prologues,
    /// residual epilogues, elementwise chains); clean-up (dce).
    /// </summary>
    public static Pipeline Default { get; } = new("default", [.. Fusion.FusionPasses.Names, "dce"]);

    /// <summary>
    /// This pipeline with weight quantization (when it is not already there) right after the fusion passes, so the
    /// stacked weights of fused matmuls are quantized as wholes, and before the rest, so later passes see the final
    /// weights; dce then drops the float weights the quantized ones replaced.
    /// </summary>
    public Pipeline WithQuantization()
    {
        if (Passes.Contains(QuantizeWeights.PassName)) return this;
        var at = Passes.Select((p, i) => (p, i)).LastOrDefault(x => Fusion.FusionPasses.Names.Contains(x.p), (p: "", i: -1)).i + 1;
        return this with { Passes = [.. Passes.Take(at), QuantizeWeights.PassName, .. Passes.Skip(at)] };
    }

    /// <summary>This pipeline without the fusion passes: what <c>llmc build --no-fuse</c> runs.</summary>
    public Pipeline WithoutFusion() => Without(Fusion.FusionPasses.Names);

    /// <summary>The same pipeline without the passes named in <paramref name="disabled"/>.</summary>
    public Pipeline Without(IEnumerable<string> disabled)
    {
        var off = disabled.ToHashSet(StringComparer.Ordinal);
        return this with { Passes = Passes.Where(p => !off.Contains(p)).ToList() };
    }
}
