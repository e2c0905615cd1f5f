using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Tests.Scheduling;

/// <summary>The KV pool a load asks for, against a plan of context 64 whose one state holds 32 bytes per position.</summary>
public sealed class KvPoolOptionsTests
{
    private static readonly ExecutionPlan Plan = new()
    {
        MaxSeq = 8,
        Context = 64,
        Buffers = [new PlanBuffer { Id = 0, Name = "k_cache.0", Kind = BufferKind.State, DType = "f32", Shape = ["kv_blocks", "kv_block", "8"] }],
        Steps = [],
        Inputs = [],
        Outputs = [],
    };

    [Fact]
    public void The_default_pool_holds_max_sequences_whole_contexts()
    {
        var bounds = new KvPoolOptions { MaxSequences = 3 }.Resolve(Plan);
        Assert.Equal(new KvPoolSize(12, 16), bounds.Pool);
        Assert.Equal(3 * 4, bounds.TableEntries);
        Assert.Equal(12 * 16 * 32, PlanShapes.Bytes(Plan.Buffers[0], bounds));
    }

    [Fact]
    public void A_memory_budget_sets_the_blocks()
    {
        Assert.Equal(new KvPoolSize(5, 8), new KvPoolOptions { BlockSize = 8, KvMemoryBytes = 5 * 8 * 32 + 100 }.Resolve(Plan).Pool);
    }

    [Fact]
    public void A_default_block_that_does_not_divide_the_context_halves_until_it_does()
    {
        var plan = Plan with { Context = 24 };
        Assert.Equal(8, new KvPoolOptions().Resolve(plan).Pool.BlockSize);
    }

    [Theory]
    [InlineData(48, null, 1, "KV block size 48 does not divide the engine's context of 64 positions")]
    [InlineData(16, 100L, 1, "a KV memory of 100 bytes holds no block of 16 positions (512 bytes)")]
    [InlineData(16, null, 0, "max sequences must be at least 1")]
    public void Options_that_cannot_work_are_refused_by_name(int block, long? memory, int sequences, string message)
    {
        var e = Assert.Throws<LlmcException>(() => new KvPoolOptions { BlockSize = block, KvMemoryBytes = memory, MaxSequences = sequences }.Resolve(Plan));
        Assert.Contains(message, e.Message);
    }
}
