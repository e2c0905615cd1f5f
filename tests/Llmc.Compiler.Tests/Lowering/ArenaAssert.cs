using Llmc.Runtime.Plan;

namespace Llmc.Compiler.Tests.Lowering;

/// <summary>
/// Checks a laid-out plan step by step, without the planner's own liveness code: at every step, the activations
/// written so far and still needed (read at this step or later, or a plan output) occupy disjoint aligned byte
/// ranges inside the arena.
/// </summary>
public static class ArenaAssert
{
    public static void Sound(IReadOnlyList<PlanBuffer> buffers, IReadOnlyList<PlanStep> steps, IReadOnlyCollection<int> outputs, int maxSeq, long arenaBytes)
    {
        var activations = buffers.Where(b => b.Kind == BufferKind.Activation).ToList();
        foreach (var b in activations)
        {
            Assert.True(b.Offset % ActivationArena.Alignment == 0, $"{b.Name} at offset {b.Offset} is not aligned");
            Assert.True(b.Offset >= 0 && b.Offset + PlanShapes.Bytes(b, maxSeq) <= arenaBytes, $"{b.Name} lies outside the {arenaBytes}-byte arena");
        }
        foreach (var b in buffers.Where(b => b.Kind != BufferKind.Activation)) Assert.Equal(0, b.Offset);

        for (var s = 0; s < steps.Count; s++)
        {
            var live = activations.Where(b => IsLive(b.Id, s, steps, outputs)).OrderBy(b => b.Offset).ToList();
            for (var i = 1; i < live.Count; i++)
            {
                var (below, above) = (live[i - 1], live[i]);
                Assert.True(below.Offset + PlanShapes.Bytes(below, maxSeq) <= above.Offset,
                    $"step {s}: {below.Name} [{below.Offset}, +{PlanShapes.Bytes(below, maxSeq)}) overlaps {above.Name} at {above.Offset}");
            }
        }
    }

    /// <summary>Sum of every activation's aligned size: the arena without any reuse.</summary>
    public static long Unplanned(IEnumerable<PlanBuffer> buffers, int maxSeq) =>
        buffers.Where(b => b.Kind == BufferKind.Activation).Sum(b => ActivationArena.AlignUp(PlanShapes.Bytes(b, maxSeq)));

    private static bool IsLive(int id, int step, IReadOnlyList<PlanStep> steps, IReadOnlyCollection<int> outputs)
    {
        var written = steps.Take(step + 1).Any(s => s.Args[^1] == id);
        var needed = outputs.Contains(id) || steps.Skip(step).Any(s => s.Args.Contains(id));
        return written && needed;
    }
}
