using System.Diagnostics;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Generation;

/// <summary>
/// The prefill + decode loop over one executor: chunked prefill of the prompt, then one token per step until EOS,
/// a stop string, the token limit or the end of the context. Scratch buffers are reused, so a decode step allocates nothing
/// but the text piece it reports. Where the executor is an <see cref="IDeviceSampler"/> that can follow the options, each
/// token is sampled on the device and only its id comes back; otherwise the logits come back and <see cref="Sampler"/> picks.
/// </summary>
public sealed class TokenGenerator(IModelExecutor executor, Tokenizer tokenizer, IReadOnlyCollection<int> eosIds, IReadOnlyList<string> engineStops)
{
    private readonly int[] _positions = new int[executor.MaxSeq];
    private readonly int[] _lastRow = new int[1];
    private readonly int[] _allRows = Enumerable.Range(0, executor.MaxSeq).ToArray();
    private readonly int[] _one = new int[1];
    // One sequence held in pool blocks 0, 1, ...: its table, and every row's table start (0).
    private readonly int[] _table = Enumerable.Range(0, executor.Context / executor.Pool.BlockSize).ToArray();
    private readonly int[] _rowBlocks = new int[executor.MaxSeq];

    /// <param name="onPiece">Called with each piece of new text as soon as it is safe to show.</param>
    public GenerationResult Generate(int[] prompt, GenerationOptions options, Action<string>? onPiece, CancellationToken cancel)
    {
        if (prompt.Length == 0) throw new LlmcException("the prompt is empty (no tokens and no BOS)");
        if (prompt.Length >= executor.Context)
            throw new LlmcException($"the prompt has {prompt.Length} tokens; this engine's context holds {executor.Context}");
        if (options.MaxTokens < 0) throw new LlmcException($"max tokens must be >= 0, got {options.MaxTokens}");
        var sampler = new Sampler(executor.VocabSize, options.Sampling);
        var device = executor is IDeviceSampler d && d.CanSample(options.Sampling) ? d : null;
        var history = new int[prompt.Length + options.MaxTokens];
        prompt.CopyTo(history, 0);
        var decoder = tokenizer.CreateStreamDecoder();
        var stops = new StopStringMatcher([.. engineStops, .. options.StopStrings]);
        var text = new System.Text.StringBuilder();
        void Emit(string piece)
        {
            if (piece.Length == 0) return;
            text.Append(piece);
            onPiece?.Invoke(piece);
        }

        var clock = Stopwatch.StartNew();
        var token = PrefillAndChoose(prompt, sampler, device);
        var prefillTime = clock.Elapsed;
        clock.Restart();

        var n = 0;
        var finish = FinishReason.Length;
        while (n < options.MaxTokens)
        {
            if (cancel.IsCancellationRequested) { finish = FinishReason.Cancelled; break; }
            history[prompt.Length + n++] = token;
            if (options.StopOnEos && eosIds.Contains(token)) { finish = FinishReason.Stop; break; }
            Emit(stops.Push(decoder.Append(token)));
            if (stops.Stopped) { finish = FinishReason.Stop; break; }
            var position = prompt.Length + n - 1;
            if (n == options.MaxTokens || position + 1 >= executor.Context) break;
            _one[0] = token;
            _positions[0] = position;
            token = ForwardAndChoose(_one, _positions.AsSpan(0, 1), 0, history.AsSpan(0, prompt.Length + n), sampler, device);
        }
        if (!stops.Stopped) Emit(stops.Push(decoder.Flush()) + stops.Flush());
        var decodeTime = clock.Elapsed;
        return new GenerationResult(prompt, history[prompt.Length..(prompt.Length + n)], text.ToString(), finish,
            new GenerationStats(prompt.Length, n, prefillTime, decodeTime));
    }

    /// <summary>Runs the prompt through in chunks of at most MaxSeq tokens and picks the token after it.</summary>
    private int PrefillAndChoose(int[] prompt, Sampler sampler, IDeviceSampler? device)
    {
        var last = (prompt.Length - 1) / executor.MaxSeq * executor.MaxSeq;
        if (last > 0) RunFromStart(prompt.AsSpan(0, last), allLogits: default);
        var count = prompt.Length - last;
        for (var i = 0; i < count; i++) _positions[i] = last + i;
        return ForwardAndChoose(prompt.AsSpan(last), _positions.AsSpan(0, count), count - 1, prompt, sampler, device);
    }

    /// <summary>One forward step and the token after row <paramref name="row"/>: sampled on the device where it can, else from the logits on the host.</summary>
    private int ForwardAndChoose(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, int row, ReadOnlySpan<int> history, Sampler sampler, IDeviceSampler? device)
    {
        _lastRow[0] = row;
        var step = new StepBatch(tokens, positions, _rowBlocks.AsSpan(0, tokens.Length), _table, _lastRow);
        if (device is not null) return device.ForwardAndSample(step, sampler.Options, history, sampler.NextUniform());
        return sampler.Sample(executor.Forward(step), history);
    }

    /// <summary>Runs <paramref name="tokens"/> from position 0 and writes every position's logits, row-major [tokens, vocab].</summary>
    public void AllLogits(ReadOnlySpan<int> tokens, Span<float> logits) => RunFromStart(tokens, logits);

    /// <summary>
    /// Feeds tokens from position 0 in chunks of at most MaxSeq; asks for every row's logits when <paramref name="allLogits"/>
    /// is given (copying each chunk's into it), else only the last row's.
    /// </summary>
    private void RunFromStart(ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        var vocab = executor.VocabSize;
        for (var start = 0; start < tokens.Length; start += executor.MaxSeq)
        {
            var count = Math.Min(executor.MaxSeq, tokens.Length - start);
            for (var i = 0; i < count; i++) _positions[i] = start + i;
            _lastRow[0] = count - 1;
            ReadOnlySpan<int> rows = allLogits.IsEmpty ? _lastRow : _allRows.AsSpan(0, count);
            var logits = executor.Forward(new StepBatch(tokens.Slice(start, count), _positions.AsSpan(0, count), _rowBlocks.AsSpan(0, count), _table, rows));
            if (!allLogits.IsEmpty) logits.CopyTo(allLogits[(start * vocab)..]);
        }
    }
}
