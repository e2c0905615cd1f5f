using FsCheck;
using FsCheck.Fluent;
using Llmc.Compiler.Lowering;
using Llmc.Runtime.Plan;

namespace Llmc.Compiler.Tests.Lowering;

public sealed class ActivationLayoutTests
{
    // f32[seq, 64] at MaxSeq 4: 1 KiB, a multiple of the alignment.
    private const int Width = 64;
    private const long Size = SyntheticPlan.MaxSeq * Width * 4;

    [Fact]
    public void A_chain_needs_two_buffers_whatever_its_length()
    {
        var plan = SyntheticPlan.Chain(Enumerable.Repeat(Width, 12).ToArray());
        var (buffers, arena) = plan.Layout();
        Assert.Equal(2 * Size, arena);
        ArenaAssert.Sound(buffers, plan.Steps, [plan.Output], SyntheticPlan.MaxSeq, arena);
    }

    [Fact]
    public void A_step_never_writes_over_what_it_reads()
    {
        var plan = SyntheticPlan.Chain(Width, Width);
        var (buffers, _) = plan.Layout();
        Assert.NotEqual(buffers[2].Offset, buffers[3].Offset);
    }

    [Fact]
    public void A_buffer_read_later_keeps_its_bytes_until_then()
    {
        // Step 0's result is read again by the last step: no buffer in between may take its place.
        var plan = SyntheticPlan.Of([Width, Width, Width, Width], s => s switch { 0 => [0], 3 => [4, 2], _ => [1 + s] });
        var (buffers, arena) = plan.Layout();
        Assert.Equal(3 * Size, arena);
        Assert.DoesNotContain(buffers.Skip(3).Take(2), b => b.Offset == buffers[2].Offset);
        ArenaAssert.Sound(buffers, plan.Steps, [plan.Output], SyntheticPlan.MaxSeq, arena);
    }

    [Fact]
    public void The_output_stays_live_to_the_end_of_the_step()
    {
        // The output is written first and never read by a step; the runtime reads it after the last one.
        var plan = SyntheticPlan.Of([Width, Width, Width, Width], s => [s == 0 ? 0 : 1 + s], output: 2);
        var (buffers, arena) = plan.Layout();
        Assert.DoesNotContain(buffers.Skip(3), b => b.Offset == buffers[2].Offset);
        ArenaAssert.Sound(buffers, plan.Steps, [plan.Output], SyntheticPlan.MaxSeq, arena);
    }

    [Fact]
    public void Small_buffers_fill_the_gaps_big_ones_leave()
    {
        // A wide buffer dies early; the narrow ones created after it reuse its bytes instead of growing the arena.
        var plan = SyntheticPlan.Of([4 * Width, Width, Width, Width, Width], s => [s == 0 ? 0 : 1 + s]);
        var (buffers, arena) = plan.Layout();
        Assert.Equal(4 * Size + Size, arena);
        ArenaAssert.Sound(buffers, plan.Steps, [plan.Output], SyntheticPlan.MaxSeq, arena);
    }

    [Fact]
    public void Offsets_are_aligned_for_sizes_that_are_not()
    {
        var plan = SyntheticPlan.Of([3, 5, 7, 11], s => s == 0 ? [0] : [0, 1 + s]);
        var (buffers, arena) = plan.Layout();
        Assert.All(buffers, b => Assert.Equal(0, b.Offset % ActivationArena.Alignment));
        Assert.Equal(2 * ActivationArena.Alignment, arena);
        ArenaAssert.Sound(buffers, plan.Steps, [plan.Output], SyntheticPlan.MaxSeq, arena);
    }

    [Fact]
    public void Inputs_weights_and_states_stay_out_of_the_arena()
    {
        var plan = SyntheticPlan.Of([Width], _ => [0, 1]);
        var (buffers, arena) = plan.Layout();
        Assert.Equal(Size, arena);
        Assert.Equal([0L, 0L], buffers.Take(2).Select(b => b.Offset));
    }

    [Fact]
    public void An_empty_plan_has_an_empty_arena() =>
        Assert.Equal(0, ActivationLayout.Pack([]).ArenaBytes);

    [Fact]
    public void Any_plan_gets_a_sound_layout_no_larger_than_no_reuse_and_no_smaller_than_its_busiest_step() =>
        Prop.ForAll(Arb.From(PlanSpecs()), spec =>
        {
            var plan = Build(spec);
            var (buffers, arena) = plan.Layout();
            ArenaAssert.Sound(buffers, plan.Steps, [plan.Output], SyntheticPlan.MaxSeq, arena);
            Assert.True(arena <= ArenaAssert.Unplanned(buffers, SyntheticPlan.MaxSeq));
            var intervals = ActivationLiveness.Of(plan.Buffers, plan.Steps, [plan.Output], SyntheticPlan.MaxSeq);
            Assert.True(arena >= ActivationLiveness.LowerBound(intervals));
        }).QuickCheckThrowOnFailure();

    /// <summary>Step specs: a result width and up to three operands, each an index to reduce modulo the buffers made so far.</summary>
    private static Gen<(int Width, int[] Reads)[]> PlanSpecs() =>
        Gen.Zip(Gen.Choose(1, 700), Gen.ArrayOf(Gen.Choose(0, 1000)).Select(r => r.Take(3).ToArray()))
            .ArrayOf()
            .Where(a => a.Length > 0);

    private static SyntheticPlan Build((int Width, int[] Reads)[] spec) =>
        SyntheticPlan.Of(spec.Select(s => s.Width).ToList(), s => spec[s].Reads.Select(r => r % (2 + s)).Distinct(), output: 2 + spec.Length - 1);
}
