namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// The largest lane of a vector, by halving in registers: the two halves' maxima down to 128 bits, then two shuffles.
/// Vector maxima are exact (f32 as <c>MathF.Max</c> treats NaN and signed zeros; i32 exactly), so the one result
/// comes out whatever the order.
/// </summary>
internal static class LaneMaximum
{
    /// <summary>
    /// Statements reducing <paramref name="vector"/> (a <paramref name="bits"/>-bit vector of <paramref name="element"/>)
    /// into <c>m128</c>, a <c>Vector128</c> whose lanes all hold the maximum; returns that name.
    /// </summary>
    public static string Render(Emit.SourceWriter w, string element, int bits, string vector)
    {
        var name = vector;
        for (; bits > 128; bits /= 2)
        {
            var half = $"m{bits / 2}";
            w.Line($"Vector{bits / 2}<{element}> {half} = Vector{bits / 2}.Max({name}.GetLower(), {name}.GetUpper());");
            name = half;
        }
        if (name != "m128") w.Line($"Vector128<{element}> m128 = {name};");
        w.Line("m128 = Vector128.Max(m128, Vector128.Shuffle(m128, Vector128.Create(2, 3, 0, 1)));");
        w.Line("m128 = Vector128.Max(m128, Vector128.Shuffle(m128, Vector128.Create(1, 0, 3, 2)));");
        return "m128";
    }
}
