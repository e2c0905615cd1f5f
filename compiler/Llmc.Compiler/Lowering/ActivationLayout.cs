using Llmc.Runtime.Plan;

namespace Llmc.Compiler.Lowering;

/// <summary>
/// Places the plan's activation buffers in one arena so that buffers live at the same step never share a byte, while
/// buffers with disjoint lifetimes reuse memory. Greedy by size with best fit: the largest buffers are placed first,
/// each in the smallest gap left between the already placed buffers its lifetime overlaps, or above them all.
/// </summary>
public static class ActivationLayout
{
    /// <summary>Returns the buffers with activation offsets assigned (multiples of <see cref="ActivationArena.Alignment"/>), and the arena size.</summary>
    public static (List<PlanBuffer> Buffers, long ArenaBytes) Assign(
        IReadOnlyList<PlanBuffer> buffers, IReadOnlyList<PlanStep> steps, IEnumerable<int> outputs, int maxSeq)
    {
        var (offsets, arenaBytes) = Pack(ActivationLiveness.Of(buffers, steps, outputs, maxSeq));
        var placed = buffers.Select(b => offsets.TryGetValue(b.Id, out var offset) ? b with { Offset = offset } : b).ToList();
        return (placed, arenaBytes);
    }

    /// <summary>An offset for every interval's buffer and the arena size they need.</summary>
    public static (Dictionary<int, long> Offsets, long ArenaBytes) Pack(IReadOnlyList<LiveInterval> intervals)
    {
        var placed = new List<(LiveInterval Interval, long Offset, long Size)>();
        long arenaBytes = 0;
        // Big buffers first: they are the hardest to fit, and small ones then fill the gaps they leave.
        foreach (var interval in intervals.OrderByDescending(i => i.Bytes).ThenBy(i => i.First).ThenBy(i => i.Buffer))
        {
            var size = ActivationArena.AlignUp(interval.Bytes);
            var offset = BestFit(placed.Where(p => p.Interval.Overlaps(interval)).Select(p => (p.Offset, p.Size)), size);
            placed.Add((interval, offset, size));
            arenaBytes = Math.Max(arenaBytes, offset + size);
        }
        return (placed.ToDictionary(p => p.Interval.Buffer, p => p.Offset), arenaBytes);
    }

    /// <summary>The start of the smallest gap below, between or above <paramref name="taken"/> that holds <paramref name="size"/> bytes.</summary>
    private static long BestFit(IEnumerable<(long Offset, long Size)> taken, long size)
    {
        long cursor = 0, best = -1, bestGap = long.MaxValue;
        foreach (var (offset, length) in taken.OrderBy(t => t.Offset))
        {
            var gap = offset - cursor;
            if (gap >= size && gap < bestGap) (best, bestGap) = (cursor, gap);
            cursor = Math.Max(cursor, offset + length);
        }
        return best >= 0 ? best : cursor;
    }
}
