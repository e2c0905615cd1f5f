using System.CommandLine;
using System.Globalization;
using Llmc.Runtime;
using Llmc.Runtime.Plan;

namespace Llmc.Cli;

/// <summary>
/// The options that size an engine's KV pool when a command loads it: <c>--kv-memory</c>, <c>--kv-block</c>, and
/// <c>--max-sequences</c> for commands that run many sequences at once.
/// </summary>
public sealed class KvPoolCliOptions
{
    private readonly Option<string?> _memory;
    private readonly Option<int?>? _sequences;
    private readonly Option<int?> _block = new("--kv-block") { Description = $"Positions per KV block; must divide the context (default {KvPoolOptions.DefaultBlockSize})" };
    private readonly int? _ownSequences;

    /// <summary>Options for a command that runs as many sequences at once as <c>--max-sequences</c> allows.</summary>
    public KvPoolCliOptions()
    {
        _memory = new("--kv-memory") { Description = "KV cache memory across all layers, e.g. 512M or 2G (default: --max-sequences whole contexts)" };
        _sequences = new("--max-sequences") { Description = $"Most sequences running at once (default {KvPoolOptions.DefaultMaxSequences})" };
    }

    /// <summary>
    /// Options for a command that itself runs <paramref name="sequences"/> at a time (<c>run</c>, <c>chat</c>): the pool
    /// holds that many whole contexts unless <c>--kv-memory</c> says otherwise, and there is no <c>--max-sequences</c>
    /// to give, since a larger pool would only take memory (on a GPU, device memory that may not be there).
    /// </summary>
    public static KvPoolCliOptions ForSequences(int sequences) => new(sequences);

    private KvPoolCliOptions(int sequences)
    {
        _ownSequences = sequences;
        _memory = new("--kv-memory") { Description = $"KV cache memory across all layers, e.g. 512M or 2G (default: {(sequences == 1 ? "one whole context" : $"{sequences} whole contexts")})" };
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_memory);
        if (_sequences is not null) command.Options.Add(_sequences);
        command.Options.Add(_block);
    }

    /// <summary>The pool options given; <paramref name="sequences"/> and <paramref name="memory"/> stand in for those not given.</summary>
    public KvPoolOptions Read(ParseResult parse, int? sequences = null, long? memory = null) => new()
    {
        KvMemoryBytes = parse.GetValue(_memory) is { } text ? Bytes(text) : memory,
        MaxSequences = _ownSequences ?? (_sequences is null ? null : parse.GetValue(_sequences)) ?? sequences ?? KvPoolOptions.DefaultMaxSequences,
        BlockSize = parse.GetValue(_block),
    };

    /// <summary>A byte count with an optional K, M or G suffix (powers of 1024).</summary>
    public static long Bytes(string text)
    {
        var (digits, scale) = char.ToUpperInvariant(text.Length > 0 ? text[^1] : ' ') switch
        {
            'K' => (text[..^1], 1L << 10),
            'M' => (text[..^1], 1L << 20),
            'G' => (text[..^1], 1L << 30),
            _ => (text, 1L),
        };
        return double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? (long)(value * scale)
            : throw new LlmcException($"--kv-memory '{text}' is not a size (bytes, or a number with K, M or G)");
    }
}
