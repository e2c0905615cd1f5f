using Llmc.Runtime.Plan;

namespace Llmc.Compiler.Lowering;

/// <summary>Places the plan's activation buffers in one arena: each at its own aligned offset.</summary>
public static class ActivationLayout
{
    /// <summary>Returns the buffers with offsets assigned, and the arena size.</summary>
    public static (List<PlanBuffer> Buffers, long ArenaBytes) Assign(IReadOnlyList<PlanBuffer> buffers, IReadOnlyList<PlanStep> steps, int maxSeq)
    {
        var placed = new List<PlanBuffer>(buffers.Count);
        long end = 0;
        foreach (var b in buffers)
        {
            if (b.Kind != BufferKind.Activation)
            {
                placed.Add(b);
                continue;
            }
            placed.Add(b with { Offset = end });
            end = ActivationArena.AlignUp(end + PlanShapes.Bytes(b, maxSeq));
        }
        return (placed, end);
    }
}
