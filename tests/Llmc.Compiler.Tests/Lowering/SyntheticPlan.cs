using Llmc.Compiler.Lowering;
using Llmc.Runtime.Plan;

namespace Llmc.Compiler.Tests.Lowering;

/// <summary>
/// A plan made of steps without real kernels, for layout tests: buffer 0 is an input, buffer 1 a weight, and step s
/// writes activation buffer 2 + s after reading the buffers it names.
/// </summary>
public sealed record SyntheticPlan(List<PlanBuffer> Buffers, List<PlanStep> Steps, int Output)
{
    public const int MaxSeq = 4;

    /// <param name="widths">Step s's result is f32[seq, widths[s]].</param>
    /// <param name="reads">Step s's operands, buffer ids below 2 + s.</param>
    public static SyntheticPlan Of(IReadOnlyList<int> widths, Func<int, IEnumerable<int>> reads, int? output = null)
    {
        var buffers = new List<PlanBuffer>
        {
            Buffer(0, BufferKind.Input, "i32", ["seq"]),
            Buffer(1, BufferKind.Weight, "f32", ["64", "64"]),
        };
        var steps = new List<PlanStep>();
        for (var s = 0; s < widths.Count; s++)
        {
            buffers.Add(Buffer(2 + s, BufferKind.Activation, "f32", ["seq", widths[s].ToString(System.Globalization.CultureInfo.InvariantCulture)]));
            steps.Add(new PlanStep { Kernel = "k", Args = [.. reads(s), 2 + s], Node = $"n{s}" });
        }
        return new SyntheticPlan(buffers, steps, output ?? 2 + widths.Count - 1);
    }

    /// <summary>Each step reads the one before it (the first reads the input).</summary>
    public static SyntheticPlan Chain(params int[] widths) => Of(widths, s => [s == 0 ? 0 : 1 + s]);

    public (List<PlanBuffer> Buffers, long ArenaBytes) Layout() => ActivationLayout.Assign(Buffers, Steps, [Output], MaxSeq);

    public long Bytes(PlanBuffer b) => PlanShapes.Bytes(b, MaxSeq);

    private static PlanBuffer Buffer(int id, BufferKind kind, string dtype, List<string> shape) =>
        new() { Id = id, Name = $"b{id}", Kind = kind, DType = dtype, Shape = shape, Tensor = kind == BufferKind.Weight ? "w" : null };
}
