using System.Collections.Concurrent;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Scheduling;

/// <summary>
/// Continuous batching over one executor. Requests queue first come, first served; one thread runs steps, each a flat
/// list of token rows that fills the token budget with every running sequence's decode row first, then prefill chunks
/// (of running sequences, then of newly admitted ones). Sequences end independently and free their KV blocks at once.
/// When blocks run out, the newest running sequence is preempted: its blocks go back (full ones stay in the prefix
/// cache) and its tokens are recomputed when it is admitted again, so running sequences never fail for memory. A new
/// sequence first takes the longest run of its full prefix blocks from the prefix cache and prefills only the rest.
/// Each sequence samples with its own options and seed, so what a request gets does not depend on its neighbours.
/// </summary>
public sealed class BatchScheduler : IDisposable
{
    private readonly IModelExecutor _executor;
    private readonly Tokenizer _tokenizer;
    private readonly IReadOnlyCollection<int> _eosIds;
    private readonly IReadOnlyList<string> _engineStops;
    private readonly KvBlockPool _pool;
    private readonly int _blockSize, _maxSequences, _budget, _longest;
    private volatile bool _prefixCaching;
    private readonly ConcurrentQueue<ScheduledSequence> _arrivals = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly List<ScheduledSequence> _running = [], _waiting = [], _decoding = [];
    private readonly List<(ScheduledSequence Sequence, int Start, int Count)> _entries = [];
    private readonly int[] _tokens, _positions, _rowBlocks, _logitRows, _tables;
    // A step samples at most one row per sequence.
    private readonly DeviceSampling[] _sampledOnDevice;
    private readonly int[] _deviceTokens;
    private readonly Thread _loop;
    private long _order, _preemptions, _steps;
    private volatile bool _stopping;

    /// <param name="maxSequences">The most sequences admitted at once.</param>
    public BatchScheduler(IModelExecutor executor, Tokenizer tokenizer, IReadOnlyCollection<int> eosIds, IReadOnlyList<string> engineStops,
        int maxSequences, SchedulerOptions options)
    {
        _executor = executor;
        _tokenizer = tokenizer;
        _eosIds = eosIds;
        _engineStops = engineStops;
        _pool = new KvBlockPool(executor.Pool.Blocks);
        _blockSize = executor.Pool.BlockSize;
        _maxSequences = maxSequences;
        _budget = options.MaxBatchTokens ?? executor.MaxSeq;
        if (_budget < 1 || _budget > executor.MaxSeq)
            throw new LlmcException($"max batch tokens must be 1 to {executor.MaxSeq} (the engine's largest step), got {_budget}");
        _prefixCaching = options.PrefixCaching;
        // A sequence never outgrows the context, nor the pool when it runs alone.
        _longest = Math.Min(executor.Context, _pool.Blocks * _blockSize);
        (_tokens, _positions, _rowBlocks, _logitRows) = (new int[_budget], new int[_budget], new int[_budget], new int[_budget]);
        (_sampledOnDevice, _deviceTokens) = (new DeviceSampling[Math.Min(_budget, maxSequences)], new int[Math.Min(_budget, maxSequences)]);
        _tables = new int[Math.Min(_budget, maxSequences) * (executor.Context / _blockSize)];
        _loop = new Thread(Run) { IsBackground = true, Name = "llmc scheduler" };
        _loop.Start();
    }

    /// <summary>Queues a generation; the task ends with its result (finish reason Cancelled once <paramref name="cancel"/> fires).</summary>
    /// <param name="onUpdate">Called on the scheduler's thread with each piece of new text; it holds up every sequence while it runs.</param>
    public Task<GenerationResult> Submit(int[] prompt, GenerationOptions options, Action<GenerationUpdate>? onUpdate, CancellationToken cancel)
    {
        if (options.MaxTokens < 0) throw new LlmcException($"max tokens must be >= 0, got {options.MaxTokens}");
        if (options.Logprobs is < 0 or > TokenLogprob.MaxTop)
            throw new LlmcException($"logprobs must be 0 to {TokenLogprob.MaxTop} alternatives, got {options.Logprobs}");
        Check(prompt, prompt.Length + 1);
        var sequence = new ScheduledSequence(Interlocked.Increment(ref _order), prompt, options, new Sampler(_executor.VocabSize, options.Sampling),
            _tokenizer, _engineStops, onUpdate, allLogits: null, cancel);
        if (options.MaxTokens == 0) return Task.FromResult(sequence.Result(FinishReason.Length));
        return Enqueue(sequence);
    }

    /// <summary>Every position's logits for <paramref name="tokens"/> fed from position 0, row-major [tokens, vocab].</summary>
    public async Task<float[]> Logits(int[] tokens, CancellationToken cancel = default)
    {
        Check(tokens, tokens.Length);
        var logits = new float[(long)tokens.Length * _executor.VocabSize];
        var sequence = new ScheduledSequence(Interlocked.Increment(ref _order), tokens, new GenerationOptions { MaxTokens = 0 },
            new Sampler(_executor.VocabSize, SamplingOptions.Greedy), _tokenizer, _engineStops, onUpdate: null, logits, cancel);
        var result = await Enqueue(sequence).ConfigureAwait(false);
        if (result.FinishReason == FinishReason.Cancelled) throw new OperationCanceledException(cancel);
        return logits;
    }

    public SchedulerSnapshot Snapshot() => new(_running.Count, _waiting.Count + _arrivals.Count, _pool.InUse, _pool.PeakInUse, _pool.Cached,
        _pool.Blocks, _pool.Hits, _pool.Misses, Interlocked.Read(ref _preemptions), Interlocked.Read(ref _steps));

    /// <summary>
    /// Whether admitted sequences look for their prefix in the cache and publish the blocks they fill; switching it
    /// off leaves what is cached in place (a benchmark measures cold prefills with it).
    /// </summary>
    public bool PrefixCaching
    {
        get => _prefixCaching;
        set => _prefixCaching = value;
    }

    /// <summary>Starts the pool's peak of blocks held again from the blocks held now.</summary>
    public void ResetPeak() => _pool.ResetPeak();

    public void Dispose()
    {
        _stopping = true;
        _signal.Release();
        _loop.Join();
        _signal.Dispose();
    }

    private void Check(int[] tokens, int positions)
    {
        if (tokens.Length == 0) throw new LlmcException("the prompt is empty (no tokens and no BOS)");
        if (tokens.Length >= _executor.Context)
            throw new LlmcException($"the prompt has {tokens.Length} tokens; this engine's context holds {_executor.Context}");
        foreach (var t in tokens)
            if ((uint)t >= (uint)_executor.VocabSize) throw new LlmcException($"token id {t} outside the vocabulary of {_executor.VocabSize}");
        var blocks = (positions + _blockSize - 1) / _blockSize;
        if (blocks > _pool.Blocks)
            throw new LlmcException($"the prompt needs {blocks} KV blocks of {_blockSize} positions; the KV pool holds {_pool.Blocks} (give more KV memory)");
    }

    private Task<GenerationResult> Enqueue(ScheduledSequence sequence)
    {
        if (_stopping) throw new ObjectDisposedException(nameof(BatchScheduler));
        _arrivals.Enqueue(sequence);
        _signal.Release();
        if (sequence.Cancel.CanBeCanceled) sequence.Cancel.Register(() => { if (!_stopping) _signal.Release(); });
        return sequence.Completion.Task;
    }

    private void Run()
    {
        while (!_stopping)
        {
            while (_arrivals.TryDequeue(out var arrived)) _waiting.Add(arrived);
            FinishCancelled(_running);
            FinishCancelled(_waiting);
            if (_running.Count == 0 && _waiting.Count == 0)
            {
                _signal.Wait();
                continue;
            }
            FillStep();
            if (_entries.Count > 0) RunStep();
            else if (_running.Count > 1) Preempt(_running[^1]);
        }
        var shutdown = new ObjectDisposedException(nameof(BatchScheduler), "the engine was disposed while this request ran");
        foreach (var s in _running.Concat(_waiting).Concat(_arrivals)) s.Completion.TrySetException(shutdown);
    }

    /// <summary>Chooses this step's rows: decode rows of running sequences, then their prefill chunks, then new admissions.</summary>
    private void FillStep()
    {
        _entries.Clear();
        var rows = 0;
        var preempted = false;
        // A step allocates nothing: the decode rows' sequences go through a reused list (preemption changes _running).
        _decoding.Clear();
        foreach (var s in _running)
            if (s.Pending == 1) _decoding.Add(s);
        foreach (var s in _decoding)
        {
            if (rows == _budget) break;
            while (Reserve(s, 1) == 0)
            {
                // Out of blocks: the newest sequence not in this step gives its blocks back.
                var victim = _running.LastOrDefault(v => v != s && !_entries.Exists(e => e.Sequence == v));
                if (victim is null) break;
                Preempt(victim);
                preempted = true;
            }
            if (_running.Contains(s) && Reserve(s, 1) == 1) Add(s, 1, ref rows);
        }
        foreach (var s in _running)
        {
            if (s.Pending == 1) continue;
            var count = Reserve(s, Math.Min(s.Pending, _budget - rows));
            if (count > 0) Add(s, count, ref rows);
        }
        // After a preemption the pool is short: admitting now would only take back the blocks just freed.
        while (!preempted && _waiting.Count > 0 && _running.Count < _maxSequences && rows < _budget)
        {
            var s = _waiting[0];
            if (_prefixCaching && s.AllLogits is null) TakeCachedPrefix(s);
            var count = Reserve(s, Math.Min(s.Pending, _budget - rows));
            if (count == 0)
            {
                ReleaseBlocks(s);
                break;
            }
            _waiting.RemoveAt(0);
            _running.Add(s);
            s.Admit();
            Add(s, count, ref rows);
        }
    }

    private void Add(ScheduledSequence s, int count, ref int rows)
    {
        _entries.Add((s, s.Computed, count));
        rows += count;
    }

    /// <summary>Holds blocks for up to <paramref name="count"/> more tokens of <paramref name="s"/>; returns how many it got blocks for.</summary>
    private int Reserve(ScheduledSequence s, int count)
    {
        var last = (s.Computed + count - 1) / _blockSize;
        while (s.Blocks.Count <= last && _pool.Allocate() is { } block) s.Blocks.Add(block);
        return Math.Clamp(s.Blocks.Count * _blockSize - s.Computed, 0, count);
    }

    /// <summary>Takes the longest run of the sequence's full blocks the prefix cache holds; at least its last token is left to compute.</summary>
    private void TakeCachedPrefix(ScheduledSequence s)
    {
        var tokens = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(s.Tokens);
        var key = UInt128.Zero;
        for (var b = 0; (b + 1) * _blockSize < tokens.Length; b++)
        {
            var next = PrefixKeys.Next(key, tokens.Slice(b * _blockSize, _blockSize));
            if (_pool.Reuse(next) is not { } block) break;
            s.Blocks.Add(block);
            (key, s.Computed, s.PublishedBlocks, s.LastKey) = (next, (b + 1) * _blockSize, b + 1, next);
        }
    }

    private void RunStep()
    {
        int rows = 0, tables = 0, logitRows = 0;
        foreach (var (s, start, count) in _entries)
        {
            var table = tables;
            foreach (var block in s.Blocks) _tables[tables++] = block;
            var ends = start + count == s.Tokens.Count;
            for (var i = 0; i < count; i++, rows++)
            {
                (_tokens[rows], _positions[rows], _rowBlocks[rows]) = (s.Tokens[start + i], start + i, table);
                // A logits request wants every row of every chunk; a generation, the last row once its tokens are all in.
                if (s.AllLogits is not null || (ends && i == count - 1)) _logitRows[logitRows++] = rows;
            }
        }
        var step = new StepBatch(_tokens.AsSpan(0, rows), _positions.AsSpan(0, rows), _rowBlocks.AsSpan(0, rows), _tables.AsSpan(0, tables), _logitRows.AsSpan(0, logitRows));
        try
        {
            Interlocked.Increment(ref _steps);
            if (OnDevice(logitRows) is { } device)
            {
                SampleOnDevice(device, step, logitRows);
                return;
            }
            var logits = _executor.Forward(step);
            Computed();
            var vocab = _executor.VocabSize;
            var row = 0;
            foreach (var (s, start, count) in _entries)
            {
                if (s.AllLogits is { } all)
                {
                    logits.Slice(row * vocab, count * vocab).CopyTo(all.AsSpan(start * vocab));
                    row += count;
                    if (s.Computed == s.Tokens.Count) Finish(s, FinishReason.Length);
                    continue;
                }
                if (start + count != s.Tokens.Count) continue;
                var rowLogits = logits.Slice(row++ * vocab, vocab);
                var token = s.Sampler.Sample(rowLogits, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(s.Tokens), s.PromptLength);
                Accept(s, token, s.Options.Logprobs is { } top ? TokenLogprob.Of(rowLogits, token, top) : null);
            }
        }
        catch (Exception failure)
        {
            // A failed step fails the sequences in it; the others keep running.
            foreach (var (s, _, _) in _entries.Where(e => _running.Contains(e.Sequence)))
            {
                Remove(s);
                s.Completion.TrySetException(failure);
            }
        }
    }

    /// <summary>
    /// The executor's device sampler when it can sample every logit row of the step in one launch: each row the last of
    /// a generation (no logits request in the step), with options the kernel follows and no log-probabilities wanted;
    /// null to sample on the host. Either way a row gets the same token.
    /// </summary>
    private IDeviceSampler? OnDevice(int logitRows)
    {
        if (logitRows == 0 || _executor is not IDeviceSampler device || logitRows > device.MaxSampledRows) return null;
        foreach (var (s, start, count) in _entries)
        {
            if (s.AllLogits is not null) return null;
            if (start + count == s.Tokens.Count && (s.Options.Logprobs is not null || !device.CanSample(s.Sampler.Options))) return null;
        }
        return device;
    }

    /// <summary>Runs the step with every logit row, each the last of its sequence, sampled on the device in one launch.</summary>
    private void SampleOnDevice(IDeviceSampler device, StepBatch step, int logitRows)
    {
        var rows = _sampledOnDevice.AsSpan(0, logitRows);
        var tokens = _deviceTokens.AsSpan(0, logitRows);
        var row = 0;
        foreach (var (s, start, count) in _entries)
            if (start + count == s.Tokens.Count) rows[row++] = new DeviceSampling(s.Sampler.Options, s.Tokens, s.Sampler.NextUniform());
        device.ForwardAndSample(step, rows, tokens);
        Computed();
        row = 0;
        foreach (var (s, start, count) in _entries)
            if (start + count == s.Tokens.Count) Accept(s, tokens[row++], null);
        rows.Clear(); // holds no finished sequence's tokens
    }

    private void FinishCancelled(List<ScheduledSequence> sequences)
    {
        for (var i = sequences.Count - 1; i >= 0; i--)
            if (sequences[i].Cancel.IsCancellationRequested) Finish(sequences[i], FinishReason.Cancelled);
    }

    /// <summary>Counts the step's rows as computed and publishes the blocks they filled to the prefix cache.</summary>
    private void Computed()
    {
        foreach (var (s, _, count) in _entries)
        {
            s.Computed += count;
            if (_prefixCaching && s.AllLogits is null) Publish(s);
        }
    }

    private void Publish(ScheduledSequence s)
    {
        var tokens = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(s.Tokens);
        while ((s.PublishedBlocks + 1) * _blockSize <= s.Computed)
        {
            s.LastKey = PrefixKeys.Next(s.LastKey, tokens.Slice(s.PublishedBlocks * _blockSize, _blockSize));
            _pool.Publish(s.Blocks[s.PublishedBlocks++], s.LastKey);
        }
    }

    private void Accept(ScheduledSequence s, int token, TokenLogprob? logprob)
    {
        if (s.Accept(token, logprob, _eosIds, _longest) is { } finish) Finish(s, finish);
    }

    private void Finish(ScheduledSequence s, FinishReason reason)
    {
        Remove(s);
        s.Completion.TrySetResult(s.Result(reason));
    }

    private void Remove(ScheduledSequence s)
    {
        _running.Remove(s);
        _waiting.Remove(s);
        ReleaseBlocks(s);
    }

    /// <summary>Gives the blocks of <paramref name="s"/> back and queues it to be recomputed, ahead of sequences that came after it.</summary>
    private void Preempt(ScheduledSequence s)
    {
        _running.Remove(s);
        ReleaseBlocks(s);
        var at = _waiting.FindIndex(w => w.Order > s.Order);
        _waiting.Insert(at < 0 ? _waiting.Count : at, s);
        Interlocked.Increment(ref _preemptions);
    }

    private void ReleaseBlocks(ScheduledSequence s)
    {
        foreach (var block in s.Blocks) _pool.Release(block);
        s.Blocks.Clear();
        (s.Computed, s.PublishedBlocks, s.LastKey) = (0, 0, UInt128.Zero);
    }
}
