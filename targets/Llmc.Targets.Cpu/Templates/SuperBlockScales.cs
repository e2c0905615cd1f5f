using System.Globalization;
using Llmc.Ir.Quantization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// Renders <c>SuperBlockScales(factors, supers, to)</c> (<see cref="Name"/>) for a super-blocked format
/// (<see cref="QuantFormat.IsSuperBlocked"/>): a column's G group scales (or offsets) as f32, each its 8-bit factor
/// times its super-block's f16 value, exact in f32 as <see cref="QuantView.Scale"/> gives it, so every kernel after
/// this sees the same scales as for a format that stores them whole; the whole blocks of a
/// <see cref="QuantizedRowLayout.LaneOrdered"/> layout in lane order, as <see cref="LaneOrderedScales"/> puts them.
/// A vector of groups at a time: its factors sign-extended, converted and permuted, times a vector holding each
/// lane's super-block value (one super-block, or at 512 bits with 8 groups a super-block two, chosen by lane). A
/// decode step does this for every column it reads, so it is kept to a few instructions a vector: the first version
/// (eight groups a step, .NET's Half conversion, a second pass to permute) doubled a decode column's time.
/// </summary>
public sealed class SuperBlockScales(QuantFormat format, QuantizedRowLayout layout)
{
    public const string Name = "SuperBlockScales";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The scratch the caller declares for a column's widened super-block values (<c>superValues</c>), in floats.</summary>
    public int ScratchFloats => format.Supers(layout.K) + layout.Dialect.Lanes;

    public void Render(SourceWriter w)
    {
        var dialect = layout.Dialect;
        var (lanes, perSuper) = (dialect.Lanes, format.GroupsPerSuper);
        // A vector's groups lie in at most two super-blocks: lanes divide or are twice the groups a super-block.
        if (perSuper % lanes != 0 && lanes != 2 * perSuper)
            throw new InvalidOperationException($"{format.Name}: {perSuper} groups a super-block against {lanes} lanes");
        var order = layout.LaneOrdered ? Enumerable.Range(0, lanes).Select(layout.BlockLaneGroup).ToList() : null;
        var vector = dialect.VectorClass;
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static void {Name}(sbyte* factors, ushort* supers, float* to, float* superValues)"))
        {
            // The column's f16 super-block values first, a vector at a time (reading up to Lanes - 1 past the row's,
            // inside the weight): their bits moved into place, 2^-112 too small (subnormals included), then one exact
            // multiply. .NET's Half conversion, a call with branches, per super-block had doubled a decode column's time.
            using (w.Block($"for (int s = 0; s < S; s += {Int(lanes)})"))
            {
                w.Line($"var bits = {string.Format(CultureInfo.InvariantCulture, dialect.WidenShortsAt, "supers + s")};");
                w.Line($"(((bits & {vector}.Create(0x8000)) << 16 | (bits & {vector}.Create(0x7FFF)) << 13).AsSingle() * {vector}.Create({ElementFormat.PowerOfTwo(112)})).Store(superValues + s);");
            }
            if (order is not null) w.Line($"{vector}<int> order = {vector}.Create({string.Join(", ", order.Select(Int))});");
            w.Line("int g = 0;");
            // The groups of the whole blocks (lane l holding group order[l] of its block), then the rest in natural order;
            // the last vector may read up to Lanes - 1 factors past the column's (the next column's, the next plane's, or
            // the super-block planes and codes that always follow) and a super-block value past the row's, and writes as
            // far past G (the scratch has room).
            if (order is not null) RenderLoop(w, "FullBlocks * " + Int(lanes), order);
            RenderLoop(w, "G", Enumerable.Range(0, lanes).ToList());
        }
    }

    private void RenderLoop(SourceWriter w, string end, IReadOnlyList<int> groups)
    {
        var dialect = layout.Dialect;
        var (vector, lanes, perSuper) = (dialect.VectorClass, dialect.Lanes, format.GroupsPerSuper);
        var natural = groups.SequenceEqual(Enumerable.Range(0, lanes));
        using (w.Block($"for (; g < {end}; g += {Int(lanes)})"))
        {
            var factors = $"{vector}.ConvertToSingle({string.Format(CultureInfo.InvariantCulture, dialect.WidenBytesAt, "factors + g")})";
            if (!natural) factors = $"{dialect.PermuteLanes}({factors}, order)";
            var first = $"{vector}.Create(superValues[g / {Int(perSuper)}])";
            var superOfLanes = lanes <= perSuper ? first
                : $"{vector}.ConditionalSelect({vector}.Create({string.Join(", ", groups.Select(group => group >= perSuper ? "-1" : "0"))}).AsSingle(), {vector}.Create(superValues[g / {Int(perSuper)} + 1]), {first})";
            w.Line($"({factors} * {superOfLanes}).Store(to + g);");
        }
    }
}
