namespace Llmc.Compiler.Passes;

/// <summary>A named, ordered list of passes: data, so a build can print, trim or replace it.</summary>
public sealed record Pipeline(string Name, IReadOnlyList<string> Passes)
{
    /// <summary>
    /// The default build pipeline, by phase:
    /// clean-up of the imported graph (dce).
    /// </summary>
    public static Pipeline Default { get; } = new("default", ["dce"]);

    /// <summary>
    /// This pipeline with weight quantization first (when it is not already there), so later passes see the final
    /// weights; dce then drops the float weights the quantized ones replaced.
    /// </summary>
    public Pipeline WithQuantization() =>
        Passes.Contains(QuantizeWeights.PassName) ? this : this with { Passes = [QuantizeWeights.PassName, .. Passes] };

    /// <summary>The same pipeline without the passes named in <paramref name="disabled"/>.</summary>
    public Pipeline Without(IEnumerable<string> disabled)
    {
        var off = disabled.ToHashSet(StringComparer.Ordinal);
        return this with { Passes = Passes.Where(p => !off.Contains(p)).ToList() };
    }
}
