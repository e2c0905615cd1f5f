namespace Llmc.Runtime.Tokenization;

/// <summary>
/// Applies BPE merges to a token sequence in O(n log n): a priority queue of candidate adjacent pairs (best rule
/// first, leftmost on ties, as both HF and llama.cpp do) over a doubly linked list of live symbols.
/// </summary>
internal static class BpeMerger
{
    private readonly record struct Candidate(int Left, int Right, int LeftId, int RightId, int MergedId);

    /// <summary>Merges <paramref name="symbols"/> in place until no adjacent pair has a rule.</summary>
    public static void Merge(List<int> symbols, MergeTable table)
    {
        var count = symbols.Count;
        if (count < 2)
            return;

        var ids = symbols.ToArray();
        var previous = new int[count];
        var next = new int[count];
        for (var i = 0; i < count; i++)
        {
            previous[i] = i - 1;
            next[i] = i + 1;
        }

        var queue = new PriorityQueue<Candidate, (double Priority, int Position)>();
        for (var i = 0; i + 1 < count; i++)
            Offer(queue, table, ids, i, i + 1);

        while (queue.TryDequeue(out var candidate, out _))
        {
            // Entries go stale when a neighbour merged after they were queued; skip those.
            if (ids[candidate.Left] != candidate.LeftId || next[candidate.Left] != candidate.Right
                || ids[candidate.Right] != candidate.RightId)
                continue;

            ids[candidate.Left] = candidate.MergedId;
            ids[candidate.Right] = -1;
            var after = next[candidate.Right];
            next[candidate.Left] = after;
            if (after < count)
                previous[after] = candidate.Left;

            if (previous[candidate.Left] >= 0)
                Offer(queue, table, ids, previous[candidate.Left], candidate.Left);
            if (after < count)
                Offer(queue, table, ids, candidate.Left, after);
        }

        symbols.Clear();
        for (var i = 0; i < count; i = next[i])
            symbols.Add(ids[i]);
    }

    private static void Offer(PriorityQueue<Candidate, (double, int)> queue, MergeTable table, int[] ids, int left, int right)
    {
        if (table.TryGet(ids[left], ids[right], out var rule))
            queue.Enqueue(new Candidate(left, right, ids[left], ids[right], rule.MergedId), (rule.Priority, left));
    }
}
