using Llmc.Ir.Quantization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// Renders <c>SuperBlockScales(factors, supers, to)</c> (<see cref="Name"/>) for a super-blocked format
/// (<see cref="QuantFormat.IsSuperBlocked"/>): a column's G group scales (or offsets) as f32, each its 8-bit factor
/// times its super-block's f16 value, exact in f32 as <see cref="QuantView.Scale"/> gives it, so every kernel after
/// this sees the same scales as for a format that stores them whole; in lane order where the layout wants it
/// (<see cref="LaneOrderedScales"/>, applied in place).
/// </summary>
public sealed class SuperBlockScales(QuantFormat format, QuantizedRowLayout layout)
{
    public const string Name = "SuperBlockScales";

    /// <summary>Groups a step multiplies out: eight factors widened at once, all of one super-block.</summary>
    private const int StepGroups = 8;

    public void Render(SourceWriter w)
    {
        if (format.GroupsPerSuper % StepGroups != 0)
            throw new InvalidOperationException($"{format.Name}: {format.GroupsPerSuper} groups a super-block is not a multiple of {StepGroups}");
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static void {Name}(sbyte* factors, ushort* supers, float* to)"))
        {
            // The last step may read up to 7 factors past the column's (the next column's, the next plane's, or the
            // super-block planes and codes that always follow) and write as far past G (the scratch has room).
            using (w.Block($"for (int g = 0; g < G; g += {StepGroups})"))
            {
                w.Line($"float super = (float)BitConverter.UInt16BitsToHalf(supers[g / {format.GroupsPerSuper}]);");
                w.Line("(Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(factors + g)) * Vector256.Create(super)).Store(to + g);");
            }
            if (layout.LaneOrdered) w.Line($"{LaneOrderedScales.Name(ElementFormat.For(Llmc.Ir.DType.F32))}(to, to);");
        }
    }
}
