using System.Diagnostics;
using System.Text;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Scheduling;

/// <summary>
/// One request as the scheduler runs it: its tokens (prompt, then what it generated), the KV blocks that hold the first
/// <see cref="Computed"/> of them, and everything that makes its output its own whatever else shares its steps: its
/// sampler (own seed), stop strings, token limit, text decoder and timings.
/// </summary>
internal sealed class ScheduledSequence
{
    private readonly StopStringMatcher _stops;
    private readonly TokenStreamDecoder _decoder;
    private readonly StringBuilder _text = new();
    private readonly Action<GenerationUpdate>? _onUpdate;
    private readonly List<TokenLogprob>? _logprobs;
    private int _logprobsSent;
    private readonly long _enqueued = Stopwatch.GetTimestamp();
    private long _started, _firstToken;

    public ScheduledSequence(long order, int[] prompt, GenerationOptions options, Sampler sampler, Tokenizer tokenizer,
        IReadOnlyList<string> engineStops, Action<GenerationUpdate>? onUpdate, float[]? allLogits, CancellationToken cancel)
    {
        Order = order;
        Tokens = [.. prompt];
        PromptLength = prompt.Length;
        Options = options;
        Sampler = sampler;
        AllLogits = allLogits;
        Cancel = cancel;
        _onUpdate = onUpdate;
        if (options.Logprobs is not null) _logprobs = [];
        // A continuation of text keeps its first space (" upon" after "Once"); only text from the start drops it.
        _decoder = tokenizer.CreateStreamDecoder(continuesText: prompt.Any(id => !tokenizer.IsSpecial(id)));
        _stops = new StopStringMatcher([.. engineStops, .. options.StopStrings]);
    }

    /// <summary>Arrival order: first come, first served, and the newest is preempted first.</summary>
    public long Order { get; }

    public List<int> Tokens { get; }

    public int PromptLength { get; }

    public GenerationOptions Options { get; }

    public Sampler Sampler { get; }

    /// <summary>For a logits request: every prompt position's logits, row-major [tokens, vocab]; null for generation.</summary>
    public float[]? AllLogits { get; }

    public CancellationToken Cancel { get; }

    /// <summary>The block table: block i holds positions i·block ... (i+1)·block − 1.</summary>
    public List<int> Blocks { get; } = [];

    /// <summary>How many leading tokens have their keys and values in <see cref="Blocks"/>.</summary>
    public int Computed { get; set; }

    /// <summary>How many leading blocks are published to the prefix cache, and the key of the last of them.</summary>
    public int PublishedBlocks { get; set; }

    public UInt128 LastKey { get; set; }

    /// <summary>Prompt tokens whose keys and values came from the prefix cache when the sequence was first admitted.</summary>
    public int CachedPromptTokens { get; private set; }

    public int Generated => Tokens.Count - PromptLength;

    /// <summary>Tokens the next steps must run before the next token can be sampled.</summary>
    public int Pending => Tokens.Count - Computed;

    public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Admitted { get; private set; }

    /// <summary>Notes the first admission: when it started, and how much of its prompt the prefix cache gave it.</summary>
    public void Admit()
    {
        if (Admitted) return;
        Admitted = true;
        _started = Stopwatch.GetTimestamp();
        CachedPromptTokens = Math.Min(Computed, PromptLength);
    }

    /// <summary>
    /// Appends a sampled token (with its log-probability when the options ask for them) and reports new text; returns
    /// why the sequence ends now, or null to go on.
    /// </summary>
    public FinishReason? Accept(int token, TokenLogprob? logprob, IReadOnlyCollection<int> eosIds, int context)
    {
        if (_firstToken == 0) _firstToken = Stopwatch.GetTimestamp();
        Tokens.Add(token);
        if (logprob is not null) _logprobs?.Add(logprob);
        if (Options.StopOnEos && eosIds.Contains(token)) return FinishReason.Stop;
        Emit(_stops.Push(_decoder.Append(token)));
        if (_stops.Stopped) return FinishReason.Stop;
        return Generated >= Options.MaxTokens || Tokens.Count >= context ? FinishReason.Length : null;
    }

    /// <summary>The outcome, once the sequence has ended; the text held back for stop strings is flushed unless one matched.</summary>
    public GenerationResult Result(FinishReason finish)
    {
        // Log-probabilities of tokens whose text was held back go out with the last piece, even an empty one.
        Emit(_stops.Stopped ? "" : _stops.Push(_decoder.Flush()) + _stops.Flush(), last: true);
        var end = Stopwatch.GetTimestamp();
        var started = _started == 0 ? end : _started;
        var first = _firstToken == 0 ? end : _firstToken;
        var stats = new GenerationStats(PromptLength, Generated, Stopwatch.GetElapsedTime(started, first), Stopwatch.GetElapsedTime(first, end))
        {
            CachedPromptTokens = CachedPromptTokens,
            TimeToFirstToken = Stopwatch.GetElapsedTime(_enqueued, first),
        };
        // The EOS that ended a sequence is part of its tokens, as the model produced it; a stop string's text is not.
        return new GenerationResult([.. Tokens.Take(PromptLength)], [.. Tokens.Skip(PromptLength)], _text.ToString(), finish, stats) { Logprobs = _logprobs?.ToArray() };
    }

    private void Emit(string piece, bool last = false)
    {
        var unsent = (_logprobs?.Count ?? 0) - _logprobsSent;
        if (piece.Length == 0 && !(last && unsent > 0)) return;
        _text.Append(piece);
        _onUpdate?.Invoke(new GenerationUpdate(piece, null) { Logprobs = _logprobs?.GetRange(_logprobsSent, unsent) });
        _logprobsSent += unsent;
    }
}
