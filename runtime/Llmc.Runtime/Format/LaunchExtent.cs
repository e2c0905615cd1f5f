using System.Globalization;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Format;

/// <summary>
/// How many workgroups a GPU launch has along one axis, as the manifest spells it: a positive number, a plan symbol
/// (<c>seq</c>, one workgroup per row), or <c>ceil(symbol/n)</c> for kernels whose workgroups each take a tile of n rows,
/// so that no workgroup is launched only to find its rows absent.
/// </summary>
public readonly record struct LaunchExtent
{
    private readonly int _symbol;
    private readonly int _divisor;
    private readonly uint _constant;

    private LaunchExtent(int symbol, int divisor, uint constant) => (_symbol, _divisor, _constant) = (symbol, divisor, constant);

    /// <summary>The manifest text for <paramref name="symbol"/> rows taken <paramref name="rowsPerGroup"/> to a workgroup.</summary>
    public static string Format(string symbol, int rowsPerGroup) =>
        rowsPerGroup == 1 ? symbol : string.Create(CultureInfo.InvariantCulture, $"ceil({symbol}/{rowsPerGroup})");

    /// <summary>Reads a launch's extent; throws naming <paramref name="kernel"/> when the text is none of the three forms.</summary>
    public static LaunchExtent Parse(string kernel, string text)
    {
        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) return new LaunchExtent(-1, 1, n);
        if (Array.IndexOf(PlanSymbols.Names, text) is var symbol and >= 0) return new LaunchExtent(symbol, 1, 0);
        if (text.StartsWith("ceil(", StringComparison.Ordinal) && text.EndsWith(')') && text[5..^1].Split('/') is [var name, var by]
            && Array.IndexOf(PlanSymbols.Names, name) is var tiled and >= 0
            && int.TryParse(by, NumberStyles.None, CultureInfo.InvariantCulture, out var divisor) && divisor > 0)
            return new LaunchExtent(tiled, divisor, 0);
        throw new LlmcException($"kernel '{kernel}': launch extent '{text}' is neither a positive number, one of {string.Join(", ", PlanSymbols.Names)}, nor ceil(symbol/n)");
    }

    /// <summary>The workgroups for a step with these symbol values.</summary>
    public uint Of(ReadOnlySpan<int> dims) => _symbol < 0 ? _constant : (uint)((dims[_symbol] + _divisor - 1) / _divisor);
}
