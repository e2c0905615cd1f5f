using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Runtime;

namespace Llmc.Compiler.Build;

/// <summary>The <c>--quant</c> and <c>--group-size</c> options of a build, checked.</summary>
public static class WeightQuantization
{
    /// <summary>Half-precision storage: the matrices' values rounded to the type, read back as f32 by the kernels.</summary>
    private static readonly Dictionary<string, DType> HalfTypes = new(StringComparer.Ordinal) { ["f16"] = DType.F16, ["bf16"] = DType.BF16 };

    /// <summary>
    /// The schemes <c>--quant</c> offers. q8a is there to carry a GGUF's Q5_K exactly; to re-quantize into, it has
    /// nothing over q8, whose rounding already costs almost nothing (docs/quantization.md).
    /// </summary>
    private static readonly QuantScheme[] Schemes = [QuantScheme.Q8, QuantScheme.Q6, QuantScheme.Q4, QuantScheme.Q4A];

    /// <summary>The <c>--quant</c> values: f32 keeps the weights as imported, f16/bf16 halve the matrices, the rest are packed formats.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["f32", .. HalfTypes.Keys, .. Schemes.Select(s => s.ToString().ToLowerInvariant())];

    public const int DefaultGroupSize = 32;

    /// <returns>The packed format, or null for f32, f16 and bf16.</returns>
    public static QuantFormat? Parse(string quant, int groupSize)
    {
        if (!Names.Contains(quant))
            throw new LlmcException($"unknown --quant '{quant}' (choose one of {string.Join(", ", Names)})");
        if (!QuantFormat.GroupSizes.Contains(groupSize))
            throw new LlmcException($"--group-size {groupSize} is not supported (choose one of {string.Join(", ", QuantFormat.GroupSizes)})");
        return quant == "f32" || HalfTypes.ContainsKey(quant) ? null : new QuantFormat(Enum.Parse<QuantScheme>(quant, ignoreCase: true), groupSize);
    }

    /// <returns>The half-precision type <c>--quant</c> names (f16, bf16), or null.</returns>
    public static DType? HalfType(string quant) => HalfTypes.TryGetValue(quant, out var type) ? type : null;
}
