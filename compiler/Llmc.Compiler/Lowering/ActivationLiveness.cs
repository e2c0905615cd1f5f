using Llmc.Runtime.Plan;

namespace Llmc.Compiler.Lowering;

/// <summary>
/// The steps during which an activation buffer holds a value someone still needs: from the first step that names it
/// (its producer) to the last (its last reader), both included, so a step's operands and its result are live together.
/// </summary>
public readonly record struct LiveInterval(int Buffer, int First, int Last, long Bytes)
{
    public bool Overlaps(LiveInterval other) => First <= other.Last && other.First <= Last;
}

public static class ActivationLiveness
{
    /// <summary>
    /// The live interval of every activation buffer, sized for <paramref name="maxSeq"/> rows. Plan outputs stay live to
    /// the last step (the runtime reads them after the step); an activation no step names is live throughout.
    /// </summary>
    public static List<LiveInterval> Of(IReadOnlyList<PlanBuffer> buffers, IReadOnlyList<PlanStep> steps, IEnumerable<int> outputs, int maxSeq)
    {
        var first = new int[buffers.Count];
        var last = new int[buffers.Count];
        Array.Fill(first, int.MaxValue);
        Array.Fill(last, -1);
        for (var s = 0; s < steps.Count; s++)
        {
            foreach (var id in steps[s].Args)
            {
                first[id] = Math.Min(first[id], s);
                last[id] = Math.Max(last[id], s);
            }
        }
        var end = Math.Max(steps.Count - 1, 0);
        foreach (var id in outputs) last[id] = end;

        var intervals = new List<LiveInterval>();
        foreach (var b in buffers.Where(b => b.Kind == BufferKind.Activation))
        {
            var from = first[b.Id] == int.MaxValue ? 0 : first[b.Id];
            var to = first[b.Id] == int.MaxValue ? end : last[b.Id];
            intervals.Add(new LiveInterval(b.Id, from, to, PlanShapes.Bytes(b, maxSeq)));
        }
        return intervals;
    }

    /// <summary>
    /// The most aligned bytes live at any one step: no layout can use a smaller arena, so it measures how well one packs.
    /// </summary>
    public static long LowerBound(IReadOnlyList<LiveInterval> intervals)
    {
        if (intervals.Count == 0) return 0;
        var steps = intervals.Max(i => i.Last) + 1;
        var live = new long[steps + 1];
        foreach (var i in intervals)
        {
            live[i.First] += ActivationArena.AlignUp(i.Bytes);
            live[i.Last + 1] -= ActivationArena.AlignUp(i.Bytes);
        }
        long running = 0, peak = 0;
        foreach (var delta in live) peak = Math.Max(peak, running += delta);
        return peak;
    }
}
