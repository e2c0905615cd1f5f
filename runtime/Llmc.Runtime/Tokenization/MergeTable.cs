namespace Llmc.Runtime.Tokenization;

/// <summary>The BPE merge rules of a vocabulary, keyed by the ids of the adjacent pair.</summary>
internal sealed class MergeTable
{
    private readonly Dictionary<long, MergeRule> _rules;

    private MergeTable(Dictionary<long, MergeRule> rules) => _rules = rules;

    public bool TryGet(int left, int right, out MergeRule rule) => _rules.TryGetValue(Key(left, right), out rule);

    /// <summary>
    /// HF-style ranked merges (<see cref="TokenizerModel.Merges"/> triples): the earlier in the list, the sooner it
    /// applies. Ids outside the vocabulary of <paramref name="pieces"/> pieces are refused naming the merge.
    /// </summary>
    public static MergeTable FromRankedMerges(int[] triples, int pieces)
    {
        if (triples.Length % 3 != 0) throw new LlmcException($"the merges hold {triples.Length} ids, not (left, right, merged) triples");
        var rules = new Dictionary<long, MergeRule>(triples.Length / 3);
        for (var rank = 0; rank < triples.Length / 3; rank++)
        {
            var (left, right, merged) = (triples[3 * rank], triples[3 * rank + 1], triples[3 * rank + 2]);
            if ((uint)left >= (uint)pieces || (uint)right >= (uint)pieces || (uint)merged >= (uint)pieces)
                throw new LlmcException($"merge #{rank} ({left}, {right} -> {merged}) names a piece outside the vocabulary of {pieces}");
            // A repeated pair keeps its first (best) rank.
            rules.TryAdd(Key(left, right), new MergeRule(rank, merged));
        }
        return new MergeTable(rules);
    }

    /// <summary>
    /// SentencePiece/llama.cpp SPM: any two adjacent pieces whose concatenation is a piece merge, highest score first.
    /// Enumerating every split point of every piece finds all such pairs up front.
    /// </summary>
    public static MergeTable FromScores(string[] pieces, float[] scores, TokenType[] types, IReadOnlyDictionary<string, int> pieceIds)
    {
        var rules = new Dictionary<long, MergeRule>();
        for (var id = 0; id < pieces.Length; id++)
        {
            if (types[id] is not (TokenType.Normal or TokenType.UserDefined))
                continue;
            var piece = pieces[id];
            for (var cut = 1; cut < piece.Length; cut++)
            {
                if (char.IsLowSurrogate(piece[cut]))
                    continue;
                if (pieceIds.TryGetValue(piece[..cut], out var left) && pieceIds.TryGetValue(piece[cut..], out var right))
                    rules[Key(left, right)] = new MergeRule(-scores[id], id);
            }
        }
        return new MergeTable(rules);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
