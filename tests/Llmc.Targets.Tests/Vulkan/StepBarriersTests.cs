using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Plan;

namespace Llmc.Targets.Tests.Vulkan;

/// <summary>Barriers go exactly where a step touches bytes an earlier step wrote (or writes bytes it read) since the last barrier.</summary>
public sealed class StepBarriersTests
{
    // Activations of 4 rows × 64 floats = 1024 bytes each; offsets place them in the arena, possibly overlapping.
    private const int MaxSeq = 4;

    private static readonly Dictionary<string, string> Templates = new()
    {
        ["linear_k"] = "linear",
        ["norm_k"] = "rms_norm",
        ["attention_k"] = "attention",
        ["mystery_k"] = "not_an_ir_op",
    };

    [Fact]
    public void A_step_reading_what_the_previous_step_wrote_waits_for_it()
    {
        var plan = Plan([Activation(0, 0), Weight(1), Activation(2, 1024)], ("linear_k", [0, 1, 2]), ("norm_k", [2, 1, 0]));
        Assert.Equal([false, true], StepBarriers.Plan(plan, Templates));
    }

    [Fact]
    public void Steps_reading_the_same_input_into_separate_outputs_need_no_barrier_between_them()
    {
        var plan = Plan([Activation(0, 0), Weight(1), Activation(2, 1024), Activation(3, 2048), Weight(4)],
            ("linear_k", [0, 1, 2]), ("linear_k", [0, 4, 3]));
        Assert.Equal([false, false], StepBarriers.Plan(plan, Templates));
    }

    [Fact]
    public void Outputs_sharing_arena_bytes_are_ordered_even_when_no_step_reads_the_other()
    {
        // The planner may give two activations overlapping bytes: the second write must not race the first.
        var plan = Plan([Activation(0, 0), Weight(1), Activation(2, 1024), Activation(3, 1536)],
            ("linear_k", [0, 1, 2]), ("linear_k", [0, 1, 3]));
        Assert.Equal([false, true], StepBarriers.Plan(plan, Templates));
    }

    [Fact]
    public void Writing_bytes_an_earlier_step_still_reads_waits_for_that_read()
    {
        var plan = Plan([Activation(0, 0), Weight(1), Activation(2, 1024), Activation(3, 2048), Activation(4, 0)],
            ("linear_k", [0, 1, 2]), ("linear_k", [3, 1, 4]));
        Assert.Equal([false, true], StepBarriers.Plan(plan, Templates));
    }

    [Fact]
    public void A_barrier_clears_the_history_so_later_independent_steps_need_none()
    {
        var plan = Plan([Activation(0, 0), Weight(1), Activation(2, 1024), Activation(3, 2048), Activation(4, 3072)],
            ("linear_k", [0, 1, 2]), ("linear_k", [2, 1, 3]), ("linear_k", [2, 1, 4]));
        Assert.Equal([false, true, false], StepBarriers.Plan(plan, Templates));
    }

    [Fact]
    public void State_operands_count_as_written()
    {
        // attention(q, k, v, positions, block tables, row blocks, key cache, value cache) writes the caches; the next
        // attention reads them.
        PlanBuffer[] buffers = [Activation(0, 0), Activation(1, 1024), Activation(2, 2048), Input(3), Input(4), Input(5), State(6), State(7), Activation(8, 3072), Activation(9, 4096)];
        var plan = Plan(buffers, ("attention_k", [0, 1, 2, 3, 4, 5, 6, 7, 8]), ("attention_k", [0, 1, 2, 3, 4, 5, 6, 7, 9]));
        Assert.Equal([false, true], StepBarriers.Plan(plan, Templates));
    }

    [Fact]
    public void A_kernel_of_unknown_template_is_taken_to_write_every_argument()
    {
        var plan = Plan([Activation(0, 0), Weight(1), Activation(2, 1024), Activation(3, 2048)],
            ("mystery_k", [0, 1, 2]), ("linear_k", [0, 1, 3]));
        Assert.Equal([false, true], StepBarriers.Plan(plan, Templates));
    }

    private static ExecutionPlan Plan(PlanBuffer[] buffers, params (string Kernel, int[] Args)[] steps) => new()
    {
        MaxSeq = MaxSeq,
        Context = 16,
        Buffers = [.. buffers],
        ActivationBytes = 8192,
        Steps = [.. steps.Select((s, i) => new PlanStep { Kernel = s.Kernel, Args = [.. s.Args], Node = $"%{i}" })],
        Inputs = [],
        Outputs = [],
    };

    private static PlanBuffer Activation(int id, long offset) =>
        new() { Id = id, Name = $"a{id}", Kind = BufferKind.Activation, DType = "f32", Shape = ["seq", "64"], Offset = offset };

    private static PlanBuffer Weight(int id) => new() { Id = id, Name = $"w{id}", Kind = BufferKind.Weight, DType = "f32", Shape = ["64", "64"], Tensor = $"w{id}" };

    private static PlanBuffer Input(int id) => new() { Id = id, Name = $"i{id}", Kind = BufferKind.Input, DType = "i32", Shape = ["seq"] };

    private static PlanBuffer State(int id) => new() { Id = id, Name = $"s{id}", Kind = BufferKind.State, DType = "f32", Shape = ["16", "64"] };
}
