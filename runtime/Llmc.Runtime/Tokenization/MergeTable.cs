namespace Llmc.Runtime.Tokenization;

/// <summary>The BPE merge rules of a vocabulary, keyed by the ids of the adjacent pair.</summary>
internal sealed class MergeTable
{
    private readonly Dictionary<long, MergeRule> _rules;

    private MergeTable(Dictionary<long, MergeRule> rules) => _rules = rules;

    public bool TryGet(int left, int right, out MergeRule rule) => _rules.TryGetValue(Key(left, right), out rule);

    /// <summary>HF-style ranked merges: the earlier in the list, the sooner it applies.</summary>
    public static MergeTable FromRankedMerges(string[][] merges, IReadOnlyDictionary<string, int> pieceIds)
    {
        var rules = new Dictionary<long, MergeRule>(merges.Length);
        for (var rank = 0; rank < merges.Length; rank++)
        {
            var merge = merges[rank];
            if (merge.Length != 2)
                throw new ArgumentException($"merge #{rank} has {merge.Length} parts, expected 2");
            var left = IdOf(merge[0], rank, pieceIds);
            var right = IdOf(merge[1], rank, pieceIds);
            var merged = IdOf(merge[0] + merge[1], rank, pieceIds);
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

    private static int IdOf(string piece, int rank, IReadOnlyDictionary<string, int> pieceIds) =>
        pieceIds.TryGetValue(piece, out var id)
            ? id
            : throw new ArgumentException($"merge #{rank} needs piece '{piece}', which is not in the vocabulary");

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
