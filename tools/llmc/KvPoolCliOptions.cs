using System.CommandLine;
using System.Globalization;
using Llmc.Runtime;
using Llmc.Runtime.Plan;

namespace Llmc.Cli;

/// <summary>The options that size an engine's KV pool when a command loads it: <c>--kv-memory</c>, <c>--max-sequences</c>, <c>--kv-block</c>.</summary>
public sealed class KvPoolCliOptions
{
    private readonly Option<string?> _memory = new("--kv-memory") { Description = "KV cache memory across all layers, e.g. 512M or 2G (default: --max-sequences whole contexts)" };
    private readonly Option<int?> _sequences = new("--max-sequences") { Description = $"Most sequences running at once (default {KvPoolOptions.DefaultMaxSequences})" };
    private readonly Option<int?> _block = new("--kv-block") { Description = $"Positions per KV block; must divide the context (default {KvPoolOptions.DefaultBlockSize})" };

    public void AddTo(Command command)
    {
        command.Options.Add(_memory);
        command.Options.Add(_sequences);
        command.Options.Add(_block);
    }

    /// <summary>The pool options given; <paramref name="sequences"/> and <paramref name="memory"/> stand in for those not given.</summary>
    public KvPoolOptions Read(ParseResult parse, int? sequences = null, long? memory = null) => new()
    {
        KvMemoryBytes = parse.GetValue(_memory) is { } text ? Bytes(text) : memory,
        MaxSequences = parse.GetValue(_sequences) ?? sequences ?? KvPoolOptions.DefaultMaxSequences,
        BlockSize = parse.GetValue(_block),
    };

    /// <summary>Whether the command line names <c>--kv-memory</c>.</summary>
    public bool HasMemory(ParseResult parse) => parse.GetValue(_memory) is not null;

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
