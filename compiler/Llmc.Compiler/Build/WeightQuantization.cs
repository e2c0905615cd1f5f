using Llmc.Ir.Quantization;
using Llmc.Runtime;

namespace Llmc.Compiler.Build;

/// <summary>The <c>--quant</c> and <c>--group-size</c> options of a build, checked.</summary>
public static class WeightQuantization
{
    /// <summary>The <c>--quant</c> values: f32 keeps the weights as imported, the rest are packed formats.</summary>
    public static IReadOnlyList<string> Names { get; } = ["f32", .. Enum.GetValues<QuantScheme>().Select(s => s.ToString().ToLowerInvariant())];

    public const int DefaultGroupSize = 32;

    /// <returns>The packed format, or null for f32.</returns>
    public static QuantFormat? Parse(string quant, int groupSize)
    {
        if (!Names.Contains(quant))
            throw new LlmcException($"unknown --quant '{quant}' (choose one of {string.Join(", ", Names)})");
        if (!QuantFormat.GroupSizes.Contains(groupSize))
            throw new LlmcException($"--group-size {groupSize} is not supported (choose one of {string.Join(", ", QuantFormat.GroupSizes)})");
        return quant == "f32" ? null : new QuantFormat(Enum.Parse<QuantScheme>(quant, ignoreCase: true), groupSize);
    }
}
