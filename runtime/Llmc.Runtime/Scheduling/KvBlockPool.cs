namespace Llmc.Runtime.Scheduling;

/// <summary>
/// Which KV blocks of the pool are free, which sequences hold which (counted references: a cached prefix block may
/// be shared), and the prefix cache: a full block's key (<see cref="PrefixKeys"/>) names the block holding exactly those
/// tokens' keys and values. Blocks nobody holds but the cache names wait on a least-recently-used list and are evicted
/// only when no free block is left, so a later sequence with the same prefix can still reuse them.
/// </summary>
public sealed class KvBlockPool
{
    private readonly int[] _references;
    private readonly UInt128?[] _keys;
    private readonly Stack<int> _free = new();
    private readonly Dictionary<UInt128, int> _cached = [];
    // Unreferenced cached blocks, oldest release first; the node of each lets a reuse take it out in O(1).
    private readonly LinkedList<int> _evictable = new();
    private readonly LinkedListNode<int>?[] _evictableNodes;

    public KvBlockPool(int blocks)
    {
        if (blocks < 1) throw new LlmcException($"a KV pool needs at least one block, got {blocks}");
        Blocks = blocks;
        _references = new int[blocks];
        _keys = new UInt128?[blocks];
        _evictableNodes = new LinkedListNode<int>?[blocks];
        for (var b = blocks - 1; b >= 0; b--) _free.Push(b);
    }

    public int Blocks { get; }

    /// <summary>Blocks some sequence holds.</summary>
    public int InUse { get; private set; }

    /// <summary>The most blocks held at once since the pool was made.</summary>
    public int PeakInUse { get; private set; }

    public void ResetPeak() => PeakInUse = InUse;

    /// <summary>Blocks no sequence holds that still serve the prefix cache.</summary>
    public int Cached => _evictable.Count;

    /// <summary>Blocks a new sequence can take: free, or cached and evictable.</summary>
    public int Available => _free.Count + _evictable.Count;

    /// <summary>Full blocks a new sequence found in the prefix cache, and those it looked for and did not.</summary>
    public long Hits { get; private set; }

    public long Misses { get; private set; }

    /// <summary>A block for a sequence to write: a free one, else the least recently used cached one; null when every block is held.</summary>
    public int? Allocate()
    {
        int block;
        if (_free.Count > 0) block = _free.Pop();
        else if (_evictable.First is { } oldest)
        {
            block = oldest.Value;
            Unlist(block);
            _cached.Remove(_keys[block]!.Value);
            _keys[block] = null;
        }
        else return null;
        Hold(block);
        return block;
    }

    /// <summary>The cached block holding the prefix that ends with <paramref name="key"/>, now also held by the caller; null on a miss.</summary>
    public int? Reuse(UInt128 key)
    {
        if (!_cached.TryGetValue(key, out var block))
        {
            Misses++;
            return null;
        }
        Hits++;
        if (_references[block] == 0) Unlist(block);
        Hold(block);
        return block;
    }

    /// <summary>Records that held block <paramref name="block"/> now holds the full prefix <paramref name="key"/> (the first block to do so keeps it).</summary>
    public void Publish(int block, UInt128 key)
    {
        if (_references[block] == 0) throw new InvalidOperationException($"block {block} is published while nobody holds it");
        if (_keys[block] is not null || !_cached.TryAdd(key, block)) return;
        _keys[block] = key;
    }

    /// <summary>Drops one holder's reference; a block nobody holds goes back to the cache's list (if it is cached) or the free blocks.</summary>
    public void Release(int block)
    {
        if (_references[block] <= 0) throw new InvalidOperationException($"block {block} is released more often than it was held");
        if (--_references[block] > 0) return;
        InUse--;
        if (_keys[block] is not null) _evictableNodes[block] = _evictable.AddLast(block);
        else _free.Push(block);
    }

    private void Hold(int block)
    {
        if (_references[block]++ == 0) PeakInUse = Math.Max(PeakInUse, ++InUse);
    }

    private void Unlist(int block)
    {
        _evictable.Remove(_evictableNodes[block]!);
        _evictableNodes[block] = null;
    }
}
