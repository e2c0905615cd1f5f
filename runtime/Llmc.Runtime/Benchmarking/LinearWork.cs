using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Benchmarking;

/// <summary>
/// The arithmetic of an engine's linear layers: 2·N·K operations (a multiply and an add per weight) per row of a
/// linear over a [N, K] weight, summed over the plan's linear steps. Steps over every row of the step (<c>seq</c>) run
/// once per token; those over the logit rows (<c>out</c>, the LM head after <c>gather_rows</c>) once per prompt.
/// Attention and the element-wise kernels are not counted: at a prompt of 512 tokens they are a few percent of a
/// Llama layer's operations. <see cref="IntegerWeights"/>: some linear multiplies integer codes (a quantized format).
/// </summary>
public sealed record LinearWork(long OpsPerRow, long OpsPerLogitRow, bool IntegerWeights)
{
    public static LinearWork Of(EngineManifest manifest)
    {
        var plan = manifest.Plan;
        var templates = manifest.Kernels.DistinctBy(k => k.Name).ToDictionary(k => k.Name, k => k.Template, StringComparer.Ordinal);
        long perRow = 0, perLogitRow = 0;
        var integer = false;
        foreach (var step in plan.Steps.Where(s => templates[s.Kernel].Contains("linear", StringComparison.Ordinal) && s.Args.Count > 1))
        {
            var (x, w) = (plan.Buffers[step.Args[0]], plan.Buffers[step.Args[1]]);
            if (w.Kind != BufferKind.Weight || w.Shape.Count != 2) continue;
            // Quantized formats (q8, q6, q4, q4a and the GGUF ones imported as them) multiply integer codes.
            integer |= w.DType.StartsWith('q');
            var ops = 2L * long.Parse(w.Shape[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(w.Shape[1], System.Globalization.CultureInfo.InvariantCulture);
            if (x.Shape[0] == PlanSymbols.Names[PlanSymbols.Out]) perLogitRow += ops;
            else perRow += ops;
        }
        return new LinearWork(perRow, perLogitRow, integer);
    }

    /// <summary>The operations of prefilling <paramref name="promptTokens"/> tokens with one logit row.</summary>
    public long OpsOfPrompt(int promptTokens) => promptTokens * OpsPerRow + OpsPerLogitRow;
}
