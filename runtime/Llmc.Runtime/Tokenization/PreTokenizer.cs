using System.Text.RegularExpressions;

namespace Llmc.Runtime.Tokenization;

/// <summary>
/// Splits text into the words byte-level BPE works on: a chain of regexes, each cutting every piece into its matches
/// and the gaps between them (HF Split with "Isolated" behaviour, llama.cpp's regex_exprs).
/// </summary>
internal sealed class PreTokenizer
{
    private const string Gpt2Pattern =
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string Qwen2Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string SingleDigitPattern = @"\p{N}";

    private readonly Regex[] _chain;

    public PreTokenizer(PreTokenizerKind kind)
    {
        _chain = kind switch
        {
            PreTokenizerKind.None => [],
            PreTokenizerKind.Gpt2 => [Compile(Gpt2Pattern)],
            PreTokenizerKind.Llama3 => [Compile(Llama3Pattern)],
            PreTokenizerKind.Qwen2 => [Compile(Qwen2Pattern)],
            PreTokenizerKind.IndividualDigitsThenGpt2 => [Compile(SingleDigitPattern), Compile(Gpt2Pattern)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown pre-tokenizer"),
        };
    }

    /// <summary>The HF tokenizer.json Split regex that corresponds to a kind, for recognising imported files.</summary>
    public static PreTokenizerKind? KindOfSplitPattern(string pattern) => pattern switch
    {
        Gpt2Pattern => PreTokenizerKind.Gpt2,
        Llama3Pattern => PreTokenizerKind.Llama3,
        Qwen2Pattern => PreTokenizerKind.Qwen2,
        _ => null,
    };

    public List<string> Split(string text)
    {
        var pieces = new List<string> { text };
        foreach (var regex in _chain)
        {
            var next = new List<string>(pieces.Count * 2);
            foreach (var piece in pieces)
                SplitIsolated(regex, piece, next);
            pieces = next;
        }
        return pieces;
    }

    private static void SplitIsolated(Regex regex, string text, List<string> output)
    {
        var last = 0;
        for (var match = regex.Match(text); match.Success; match = match.NextMatch())
        {
            if (match.Length == 0)
                continue;
            if (match.Index > last)
                output.Add(text[last..match.Index]);
            output.Add(match.Value);
            last = match.Index + match.Length;
        }
        if (last < text.Length)
            output.Add(text[last..]);
    }

    private static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
}
