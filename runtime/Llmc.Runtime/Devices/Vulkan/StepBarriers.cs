using Llmc.Ir;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>
/// Where a plan needs a memory barrier: before a step that reads or writes bytes an earlier step wrote, or writes bytes an
/// earlier step read, since the last barrier. Activations are compared by their byte ranges in the arena, because the
/// memory planner lets buffers with disjoint lifetimes share bytes; every other buffer is its own memory.
/// </summary>
public static class StepBarriers
{
    /// <summary>For each step, whether a barrier must come before it (the first step never needs one).</summary>
    public static bool[] Plan(ExecutionPlan plan, IReadOnlyDictionary<string, string> templates)
    {
        var needs = new bool[plan.Steps.Count];
        var written = new List<Region>();
        var read = new List<Region>();
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            var writes = WrittenArguments(step, templates);
            var stepReads = new List<Region>();
            var stepWrites = new List<Region>();
            for (var a = 0; a < step.Args.Count; a++)
            {
                var region = Region.Of(plan.Buffers[step.Args[a]], plan.MaxSeq);
                (writes.Contains(a) ? stepWrites : stepReads).Add(region);
            }
            var hazard = stepReads.Concat(stepWrites).Any(r => written.Any(r.Overlaps)) || stepWrites.Any(w => read.Any(w.Overlaps));
            if (hazard)
            {
                needs[i] = true;
                written.Clear();
                read.Clear();
            }
            written.AddRange(stepWrites);
            read.AddRange(stepReads);
        }
        return needs;
    }

    // The result (the last argument) and the op's state operands; for a template the IR does not know, every argument.
    private static HashSet<int> WrittenArguments(PlanStep step, IReadOnlyDictionary<string, string> templates)
    {
        var last = step.Args.Count - 1;
        if (templates.TryGetValue(step.Kernel, out var template) && OpRegistry.TryGet(template, out var op))
            return [last, .. op.StateOperands];
        return [.. Enumerable.Range(0, step.Args.Count)];
    }

    private readonly record struct Region(int Memory, long Start, long End)
    {
        // Activations share memory -1 (the arena), sized by their rows; every other buffer is memory of its own, its id,
        // taken whole (the block tables and KV pools are sized by symbols bound only when the engine is loaded).
        public static Region Of(PlanBuffer b, int maxSeq) =>
            b.Kind == BufferKind.Activation
                ? new Region(-1, b.Offset, b.Offset + PlanShapes.Bytes(b, maxSeq))
                : new Region(b.Id, 0, long.MaxValue);

        public bool Overlaps(Region other) => Memory == other.Memory && Start < other.End && other.Start < End;
    }
}
