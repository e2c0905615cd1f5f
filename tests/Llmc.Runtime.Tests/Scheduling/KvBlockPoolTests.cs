using Llmc.Runtime.Scheduling;

namespace Llmc.Runtime.Tests.Scheduling;

/// <summary>Block reference counts, the free list and the prefix cache's least-recently-used eviction.</summary>
public sealed class KvBlockPoolTests
{
    private static readonly UInt128 A = PrefixKeys.Next(0, [1, 2, 3, 4]), B = PrefixKeys.Next(A, [5, 6, 7, 8]);

    [Fact]
    public void Blocks_run_out_and_come_back_when_released()
    {
        var pool = new KvBlockPool(2);
        int first = pool.Allocate()!.Value, second = pool.Allocate()!.Value;
        Assert.NotEqual(first, second);
        Assert.Null(pool.Allocate());
        Assert.Equal(2, pool.InUse);
        pool.Release(first);
        Assert.Equal(first, pool.Allocate());
        Assert.Equal(2, pool.PeakInUse);
    }

    [Fact]
    public void A_published_block_is_reused_by_key_and_shared_until_both_release_it()
    {
        var pool = new KvBlockPool(3);
        var block = pool.Allocate()!.Value;
        pool.Publish(block, A);
        Assert.Equal(block, pool.Reuse(A));
        Assert.Null(pool.Reuse(B));
        Assert.Equal((1, 1), (pool.Hits, pool.Misses));
        pool.Release(block);
        Assert.Equal(1, pool.InUse);
        pool.Release(block);
        // Nobody holds it, but the cache still names it.
        Assert.Equal((0, 1, 3), (pool.InUse, pool.Cached, pool.Available));
        Assert.Equal(block, pool.Reuse(A));
        Assert.Equal(0, pool.Cached);
        Assert.Throws<InvalidOperationException>(() => { pool.Release(block); pool.Release(block); });
    }

    [Fact]
    public void Cached_blocks_are_evicted_oldest_first_and_only_when_nothing_is_free()
    {
        var pool = new KvBlockPool(2);
        int a = pool.Allocate()!.Value, b = pool.Allocate()!.Value;
        pool.Publish(a, A);
        pool.Publish(b, B);
        pool.Release(a);
        pool.Release(b);
        Assert.Equal(a, pool.Allocate());
        Assert.Null(pool.Reuse(A));
        Assert.Equal(b, pool.Reuse(B));
    }

    [Fact]
    public void Prefix_keys_depend_on_every_earlier_token()
    {
        Assert.NotEqual(PrefixKeys.Next(A, [5, 6, 7, 8]), PrefixKeys.Next(PrefixKeys.Next(0, [1, 2, 3, 9]), [5, 6, 7, 8]));
        Assert.Equal(B, PrefixKeys.Next(PrefixKeys.Next(0, [1, 2, 3, 4]), [5, 6, 7, 8]));
    }
}
