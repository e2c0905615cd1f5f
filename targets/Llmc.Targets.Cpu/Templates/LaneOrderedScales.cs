using System.Globalization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// Renders <c>InLaneOrder(from, to)</c> (<see cref="Name"/>): a row's G per-group values (a column's scales or offsets,
/// a prepared row's scales or bias terms) as f32, those of the whole blocks of a <see cref="QuantizedRowLayout.LaneOrdered"/>
/// layout permuted so each block's values sit in the lanes that hold their groups' sums
/// (<see cref="QuantizedRowLayout.BlockLaneGroup"/>), the groups after the whole blocks in natural order.
/// </summary>
public sealed class LaneOrderedScales(QuantizedRowLayout layout)
{
    /// <summary>The name of the helper for values of <paramref name="format"/>: f32, or the f16 scales.</summary>
    public static string Name(ElementFormat format) => format.ElementType == "float" ? "InLaneOrder" : "HalvesInLaneOrder";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One helper for each element type of <paramref name="formats"/>.</summary>
    public void Render(SourceWriter w, IEnumerable<ElementFormat> formats)
    {
        foreach (var format in formats.DistinctBy(f => f.ElementType)) Render(w, format);
    }

    private void Render(SourceWriter w, ElementFormat format)
    {
        var dialect = layout.Dialect;
        var lanes = dialect.Lanes;
        var order = Enumerable.Range(0, lanes).Select(layout.BlockLaneGroup).ToList();
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static void {Name(format)}({format.ElementType}* from, float* to)"))
        {
            var load = format.LoadVector(dialect, "from", "g");
            w.Line("int g = 0;");
            if (order.SequenceEqual(Enumerable.Range(0, lanes)))
            {
                w.Line($"for (; g < G; g += {Int(lanes)}) {load}.Store(to + g);");
                return;
            }
            w.Line($"{dialect.VectorClass}<int> order = {dialect.VectorClass}.Create({string.Join(", ", order.Select(Int))});");
            w.Line($"for (; g < FullBlocks * {Int(lanes)}; g += {Int(lanes)}) {dialect.PermuteLanes}({load}, order).Store(to + g);");
            // The groups after the whole blocks in natural order, whole vectors: the last may read up to Lanes - 1
            // values past the row (the caller's guarantee) and write as far past G.
            w.Line($"for (; g < G; g += {Int(lanes)}) {load}.Store(to + g);");
        }
    }
}
