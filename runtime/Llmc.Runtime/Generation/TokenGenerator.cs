using System.Diagnostics;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Generation;

/// <summary>
/// The prefill + decode loop over one executor: chunked prefill of the prompt, then one token per step until EOS,
/// a stop string, the token limit or the end of the context. Scratch buffers are reused, so a decode step allocates nothing
/// but the text piece it reports.
/// </summary>
public sealed class TokenGenerator(IModelExecutor executor, Tokenizer tokenizer, IReadOnlyCollection<int> eosIds, IReadOnlyList<string> engineStops)
{
    private readonly int[] _positions = new int[executor.MaxSeq];
    private readonly int[] _lastRow = new int[1];
    private readonly int[] _allRows = Enumerable.Range(0, executor.MaxSeq).ToArray();
    private readonly int[] _one = new int[1];

    /// <param name="onPiece">Called with each piece of new text as soon as it is safe to show.</param>
    public GenerationResult Generate(int[] prompt, GenerationOptions options, Action<string>? onPiece, CancellationToken cancel)
    {
        if (prompt.Length == 0) throw new LlmcException("the prompt is empty (no tokens and no BOS)");
        if (prompt.Length >= executor.Context)
            throw new LlmcException($"the prompt has {prompt.Length} tokens; this engine's context holds {executor.Context}");
        if (options.MaxTokens < 0) throw new LlmcException($"max tokens must be >= 0, got {options.MaxTokens}");
        var sampler = new Sampler(executor.VocabSize, options.Sampling);
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
        var logits = Prefill(prompt);
        var prefillTime = clock.Elapsed;
        clock.Restart();

        var n = 0;
        var finish = FinishReason.Length;
        while (n < options.MaxTokens)
        {
            if (cancel.IsCancellationRequested) { finish = FinishReason.Cancelled; break; }
            var token = sampler.Sample(logits, history.AsSpan(0, prompt.Length + n));
            history[prompt.Length + n++] = token;
            if (options.StopOnEos && eosIds.Contains(token)) { finish = FinishReason.Stop; break; }
            Emit(stops.Push(decoder.Append(token)));
            if (stops.Stopped) { finish = FinishReason.Stop; break; }
            var position = prompt.Length + n - 1;
            if (n == options.MaxTokens || position + 1 >= executor.Context) break;
            _one[0] = token;
            _positions[0] = position;
            _lastRow[0] = 0;
            logits = executor.Forward(_one, _positions.AsSpan(0, 1), _lastRow);
        }
        if (!stops.Stopped) Emit(stops.Push(decoder.Flush()) + stops.Flush());
        var decodeTime = clock.Elapsed;
        return new GenerationResult(prompt, history[prompt.Length..(prompt.Length + n)], text.ToString(), finish,
            new GenerationStats(prompt.Length, n, prefillTime, decodeTime));
    }

    /// <summary>Runs the prompt through in chunks of at most MaxSeq tokens; returns the last token's logits.</summary>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> prompt) => RunFromStart(prompt, allLogits: default);

    /// <summary>Runs <paramref name="tokens"/> from position 0 and writes every position's logits, row-major [tokens, vocab].</summary>
    public void AllLogits(ReadOnlySpan<int> tokens, Span<float> logits) => RunFromStart(tokens, logits);

    /// <summary>
    /// Feeds tokens from position 0 in chunks of at most MaxSeq; asks for every row's logits when <paramref name="allLogits"/>
    /// is given (copying each chunk's into it), else only the last row's, which it returns.
    /// </summary>
    private ReadOnlySpan<float> RunFromStart(ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        ReadOnlySpan<float> logits = default;
        var vocab = executor.VocabSize;
        for (var start = 0; start < tokens.Length; start += executor.MaxSeq)
        {
            var count = Math.Min(executor.MaxSeq, tokens.Length - start);
            for (var i = 0; i < count; i++) _positions[i] = start + i;
            _lastRow[0] = count - 1;
            ReadOnlySpan<int> rows = allLogits.IsEmpty ? _lastRow : _allRows.AsSpan(0, count);
            logits = executor.Forward(tokens.Slice(start, count), _positions.AsSpan(0, count), rows);
            if (!allLogits.IsEmpty) logits.CopyTo(allLogits[(start * vocab)..]);
        }
        return logits;
    }
}
